"""Losses with PyTorch's semantics, as Gluon HybridBlocks (the PyTorch course, part 1).

Design
------
* Each loss is a ``HybridBlock`` called as ``loss(y_hat, y)``, like ``torch.nn`` losses; the same
  weights, ``ignore_index``, label smoothing and reductions give PyTorch's numbers (tested against
  numpy formulas and against PyTorch itself).
* ``reduction`` defaults to PyTorch's ``'mean'``. ``train.fit`` sums what the loss returns and
  divides the gradient by the batch size, so pass ``reduction='none'`` there (``'sum'`` gives the
  same training; ``'mean'`` would divide by the batch size twice). ``'mean'`` and ``'sum'`` are for
  a hand-written PyTorch-style step: ``loss(y_hat, y).backward(); trainer.step(1)``.
* Checks that need values (labels in range, probabilities in [0, 1]) run in imperative mode and
  raise ``GluonNotesError``; they read the labels (``BCELoss`` and ``AMSoftmaxLoss`` also their
  inputs) to the host, one wait per batch. A hybridized graph (``fit(hybridize=True)``) neither
  checks nor waits.

==============================  ==========================================
PyTorch                         gluon_notes.losses
==============================  ==========================================
``nn.CrossEntropyLoss``         ``CrossEntropyLoss`` (class-index targets)
``nn.NLLLoss``                  ``NLLLoss``
``nn.BCELoss``                  ``BCELoss``
``nn.BCEWithLogitsLoss``        ``BCEWithLogitsLoss``
(no built-in; AM-softmax)       ``CosineDense`` + ``AMSoftmaxLoss``
==============================  ==========================================
"""
from ._base import REDUCTIONS, Loss
from .binary import BCELoss, BCEWithLogitsLoss
from .classification import AMSoftmaxLoss, CosineDense, CrossEntropyLoss, NLLLoss, class_nll

__all__ = ["Loss", "REDUCTIONS", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss",
           "AMSoftmaxLoss", "CosineDense", "class_nll"]
