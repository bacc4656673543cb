from shopcore.cli import main

main()
