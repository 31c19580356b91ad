import sys

from wyntek_service.cli import main

sys.exit(main())
