from wallet_cli.main import main

main()
