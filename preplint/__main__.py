"""Entry point for `python -m preplint`."""

from preplint.cli import main

if __name__ == "__main__":
    main()
