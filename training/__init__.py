"""training: train GAN studies described in YAML into documented run folders.

The only output is the run folder described in docs/run-format.md; the
`ganreport` site builder reads those folders and never imports this package.
"""

__version__ = "0.1.0"
