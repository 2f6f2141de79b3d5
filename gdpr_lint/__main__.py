from gdpr_lint.cli.commands import main

main()
