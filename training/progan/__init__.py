"""Progressive growing (Karras et al. 2018) as a loop hook: schedule + hook, no loop of its own."""
