"""`python -m heartline` is the `heartline` command."""

from heartline.cli import main

main()
