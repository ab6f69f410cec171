"""Training, export and evaluation of the neural emotion model (torch is imported lazily)."""
