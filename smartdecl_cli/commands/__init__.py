"""The `smartdecl` commands, one module per noun; `smartdecl_cli.main` wires them into one app."""
