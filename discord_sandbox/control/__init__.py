"""The control API (`/sandbox/api`): read and change the world, run interactions, inject faults."""
