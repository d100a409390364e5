"""Scale out on MXNet's parameter server: launch scheduler, servers and workers; shard the data.

Design
------
* ``launch(num_workers, num_servers, command, ...)`` runs a command on several processes (or,
  over ssh, several hosts) with the ``DMLC_*`` environment of KVStore ``dist_sync`` /
  ``dist_async``, streams their output and stops every role when one fails.
* A worker learns its rank from its KVStore (``rank``, ``num_workers``), reads its shard of the
  data (``shard``), steps by the global batch (``SyncTrainer``) and may watch its scheduler
  (``watchdog``).
* ``python -m gluon_notes.dist -n 2 -s 1 -- COMMAND`` is the command line (``main``). The package
  imports nothing from the CLI or the chapters.
"""
from .launch import Host, Role, launch, main, plan, read_hosts, ssh_command
from .worker import (SyncTrainer, create_kvstore, in_launched_run, is_main, num_workers, rank,
                     shard, watchdog)

__all__ = ["launch", "main", "plan", "read_hosts", "ssh_command", "Host", "Role", "rank",
           "num_workers", "is_main", "in_launched_run", "create_kvstore", "shard",
           "SyncTrainer", "watchdog"]
