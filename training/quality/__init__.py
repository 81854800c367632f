"""Sample quality during training: the loop hook that measures it, keeps the best epoch,
and optionally an EMA of G's weights (training/quality/hook.py is the entry point)."""
