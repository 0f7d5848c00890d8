from smartdecl_cli.main import main

main()
