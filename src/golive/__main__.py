"""Allow ``python -m golive``."""

from golive.cli import main

if __name__ == "__main__":
    main()
