"""The host-agnostic plugin core shared by the Krita and GIMP plugins (no ``krita``, no ``gi``, no Qt).

- ``geometry``: one :class:`~.geometry.Rect`, the area an action reads, where an enlarged result goes;
- ``selection``: selection masks (cropping, coverage, "select something first");
- ``pixels``: byte-level image operations on the API's raw images (channels, bit depth, transparency);
- ``models``: which models belong to a document (:class:`~.models.ModelRef`, :class:`~.models.DocumentModels`);
- ``settings``: the one settings type and its stores;
- ``document``: the one :class:`~.document.Document` protocol every host implements;
- ``flows``: the actions (capture -> request -> place), written once against that protocol;
- ``runner``: running a flow's network part off the UI thread; ``progress``: progress text;
- ``mock_document``: the in-memory document the tests use.

``host_plugin/krita`` and ``host_plugin/gimp`` hold only their adapter (the code that imports the host)
and their UI. The installers copy this package into each installed plugin.
"""
