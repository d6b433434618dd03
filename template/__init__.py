"""The SageMaker Project stack (what the Service Catalog product provisions) and its target-account stack."""
