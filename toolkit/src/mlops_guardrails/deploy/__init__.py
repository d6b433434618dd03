"""The model-deploy library: stage configs, model selection, verify, rollback and the offline rehearsal."""
