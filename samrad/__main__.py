from samrad.cli import main

main()
