"""Allow ``python -m storefront`` as an alias for the ``storefront`` console script."""

from storefront.cli import main

if __name__ == "__main__":
    main()
