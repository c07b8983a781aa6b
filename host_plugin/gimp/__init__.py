"""GIMP 3 plug-in for SinGAN Studio.

``singan/singan.py`` is the plug-in GIMP runs (installed as ``plug-ins/singan/singan.py``); it and
``gimp_document.py`` are the only modules that import ``gi.repository.Gimp``. Everything else here is
host-agnostic and unit-tested without GIMP: the procedure table (``procedures``), pixel formats
(``pixels``), selection geometry (``regions``), where results go (``placement``), the model parasite
(``model_ref``), progress text and the worker-thread pump (``progress``), the plug-in's settings file
(``settings``), the watcher that cancels a server job when GIMP kills the plug-in (``cancel_watch``) and
the procedures' work against a document abstraction (``actions``).
"""
