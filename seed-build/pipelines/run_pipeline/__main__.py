from mlops_guardrails.build import sdk
from pipelines.run_pipeline import main

sdk.exit_promptly(main())  # nothing is left open by now
