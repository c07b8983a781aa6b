"""GIMP 3 plug-in for SinGAN Studio: GIMP's adapter and UI over the shared core ``host_plugin.common``.

``singan/singan.py`` is the plug-in GIMP runs (installed as ``plug-ins/singan/singan.py``); it and
``gimp_document.py`` (the :class:`~host_plugin.common.document.Document` of a GIMP image) are the only
modules that import ``gi.repository.Gimp``. The rest is unit-tested without GIMP: the procedure table
(``procedures``), GIMP's pixel formats (``pixels``), procedure arguments -> flows and GIMP's names for
results (``actions``) and the watcher that cancels a server job when GIMP kills the plug-in
(``cancel_watch``).
"""
