"""Foundation: problems in user input, masking of secrets, the per-API config."""
