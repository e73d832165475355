from voc.pipeline.cli import main

main()
