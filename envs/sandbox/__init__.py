"""Running untrusted Python in a separate, isolated process (``process``: the parent side,
``child``: the script the child process runs)."""
