"""Run a SageMaker Pipeline definition locally: its steps as local processes, S3 and the registry in an emulator."""
