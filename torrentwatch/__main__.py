from torrentwatch.cli import main

main()
