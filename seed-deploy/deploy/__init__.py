"""The model-deploy repo's library: stage configs, model selection, verify, rollback and the offline rehearsal."""
