from operator_cli.main import main

main()
