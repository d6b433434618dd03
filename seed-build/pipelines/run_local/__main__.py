from mlops_guardrails.build import sdk
from pipelines.run_local import main

sdk.exit_promptly(main())  # files and the emulator are closed by now, the steps' processes ended
