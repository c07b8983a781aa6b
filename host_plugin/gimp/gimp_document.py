"""The :class:`~host_plugin.common.document.Document` of a GIMP 3 image (imports ``gi.repository.Gimp``).

Pixels go through the drawables' GEGL buffers in an explicit babl format (see ``pixels``); results are
new layers above the active one inside one undo group, or new images; the model reference is a
persistent parasite on the image and on the trained layer (saved in the .xcf).
"""

from __future__ import annotations

from collections.abc import Sequence

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp  # noqa: E402

from host_plugin.client import RawImage  # noqa: E402
from host_plugin.common.document import LayerInfo, NewLayer, Placed  # noqa: E402
from host_plugin.common.geometry import Rect, clip_to  # noqa: E402
from host_plugin.common.models import DocumentModels, ModelRef, decode, encode  # noqa: E402

from . import pixels  # noqa: E402

PARASITE_NAME = "singan-model"
_BASE_TYPES = {
    Gimp.ImageBaseType.RGB: "rgb",
    Gimp.ImageBaseType.GRAY: "gray",
    Gimp.ImageBaseType.INDEXED: "indexed",
}


def read_parasite(item: Gimp.Image | Gimp.Item | None) -> ModelRef | None:
    if item is None:
        return None
    parasite = item.get_parasite(PARASITE_NAME)
    return decode(bytes(parasite.get_data())) if parasite is not None else None


def _rect(drawable: Gimp.Drawable) -> Rect:
    _, x, y = drawable.get_offsets()
    return Rect(x, y, drawable.get_width(), drawable.get_height())


def _info(drawable: Gimp.Drawable) -> LayerInfo:
    return LayerInfo(str(drawable.get_id()), drawable.get_name(), "layer", _rect(drawable))


class GimpDocument:
    """One image and its active drawable. ``show`` opens a display for new images (interactive runs)."""

    def __init__(self, image: Gimp.Image, drawable: Gimp.Drawable, *, show: bool = False) -> None:
        self.image = image
        self.drawable = drawable
        self.show = show

    # -- reading ----------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        # an image opened from a PNG or JPEG has no XCF file yet: the file it came from names it
        image = self.image
        file = image.get_file() or image.get_imported_file() or image.get_exported_file()
        return file.get_basename() if file is not None else f"Untitled-{image.get_id()}"

    @property
    def bounds(self) -> Rect:
        return Rect(0, 0, self.image.get_width(), self.image.get_height())

    def _layout(self, drawable: Gimp.Drawable) -> pixels.PixelLayout:
        base = _BASE_TYPES.get(self.image.get_base_type(), "unknown")
        bits = pixels.precision_bits(self.image.get_precision().value_name)
        return pixels.layout_for_drawable(base, drawable.has_alpha(), bits)

    def check_format(self) -> None:
        self._layout(self.drawable)

    def active_layer(self) -> LayerInfo | None:
        return _info(self.drawable)

    def find_layer(self, name: str) -> LayerInfo | None:
        layer = self.image.get_layer_by_name(name)
        return _info(layer) if layer is not None else None

    def selection_bounds(self) -> Rect | None:
        _, non_empty, x1, y1, x2, y2 = Gimp.Selection.bounds(self.image)
        return Rect.from_corners(x1, y1, x2, y2) if non_empty else None

    def read_layer(self, layer: LayerInfo, area: Rect, *, with_mask: bool = False) -> RawImage:
        drawable = self.drawable if layer.layer_id == str(self.drawable.get_id()) else None
        drawable = drawable or Gimp.Drawable.get_by_id(int(layer.layer_id))
        pixel_layout = self._layout(drawable)
        local = area.local_to(_rect(drawable))
        rect = Gegl.Rectangle.new(local.x, local.y, local.width, local.height)
        data = drawable.get_buffer().get(rect, 1.0, pixel_layout.babl_format, Gegl.AbyssPolicy.CLAMP)
        mask = None
        if with_mask:
            mask = bytes(area.width * area.height)
            if self.selection_bounds() is not None:
                selection = self.image.get_selection().get_buffer()
                sel_rect = Gegl.Rectangle.new(area.x, area.y, area.width, area.height)
                mask = bytes(selection.get(sel_rect, 1.0, "Y u8", Gegl.AbyssPolicy.NONE))
        return pixels.to_raw_image(
            bytes(data), area.width, area.height, pixel_layout, mask=mask, offset=(area.x, area.y)
        )

    def read_image(self, area: Rect, *, with_mask: bool = False) -> RawImage:
        """The active layer over ``area`` (clipped to it): GIMP pastes into the active layer."""
        on_layer = clip_to(area, _rect(self.drawable), "active layer")
        return self.read_layer(_info(self.drawable), on_layer, with_mask=with_mask)

    # -- models -----------------------------------------------------------------------------------
    def models(self) -> DocumentModels:
        """The image's model and the active layer's (the layer's is the active one)."""
        image_ref, layer_ref = read_parasite(self.image), read_parasite(self.drawable)
        records = {ref.model_id: ref for ref in (image_ref, layer_ref) if ref is not None}
        active = layer_ref or image_ref
        return DocumentModels(tuple(records.values()), active.model_id if active else "")

    def save_models(self, models: DocumentModels) -> None:
        """The active model goes on the image and on the active layer (the one trained on)."""
        if models.active is None:
            return
        parasite = Gimp.Parasite.new(PARASITE_NAME, Gimp.PARASITE_PERSISTENT, encode(models.active))
        self.image.attach_parasite(parasite)
        self.drawable.attach_parasite(parasite)

    # -- writing ----------------------------------------------------------------------------------
    def _new_layer(self, image: Gimp.Image, name: str, raw: RawImage, rgb_image: bool) -> Gimp.Layer:
        type_name = pixels.layer_type_name(rgb_image, raw.channels in (2, 4))
        return Gimp.Layer.new(
            image,
            name,
            raw.width,
            raw.height,
            getattr(Gimp.ImageType, type_name),
            100.0,
            Gimp.LayerMode.NORMAL,
        )

    @staticmethod
    def _fill(layer: Gimp.Layer, raw: RawImage) -> None:
        pixel_layout, data = pixels.from_raw_image(raw)
        buffer = layer.get_buffer()
        buffer.set(Gegl.Rectangle.new(0, 0, raw.width, raw.height), pixel_layout.babl_format, data)
        buffer.flush()
        layer.update(0, 0, raw.width, raw.height)

    def add_layers(self, layers: Sequence[NewLayer], group: str | None = None) -> list[Placed]:
        """Above the active layer, in one undo step; GIMP itself renames a taken name (``name #1``)."""
        rgb_image = self.image.get_base_type() != Gimp.ImageBaseType.GRAY
        if self.drawable.is_layer():
            parent, position = self.drawable.get_parent(), self.image.get_item_position(self.drawable)
        else:
            parent, position = None, 0
        placed = []
        self.image.undo_group_start()
        try:
            if group is not None:
                group_layer = Gimp.GroupLayer.new(self.image, group)
                self.image.insert_layer(group_layer, parent, position)
                parent, position = group_layer, 0
            for new in layers:
                layer = self._new_layer(self.image, new.name, new.image, rgb_image)
                self.image.insert_layer(layer, parent, position)
                layer.set_offsets(new.x, new.y)
                self._fill(layer, new.image)
                placed.append(Placed(self, str(layer.get_id()), layer.get_name(), new.rect))
        finally:
            self.image.undo_group_end()
        Gimp.displays_flush()
        return placed

    def extend_canvas(
        self, left: int, top: int, right: int, bottom: int, layers: Sequence[NewLayer]
    ) -> list[Placed]:
        """Image > Canvas Size (layers keep their size and move with the picture) and the layers, in one
        undo step (add_layers' own undo group nests in this one)."""
        width = self.image.get_width() + left + right
        height = self.image.get_height() + top + bottom
        self.image.undo_group_start()
        try:
            self.image.resize(width, height, left, top)
            return self.add_layers(layers)
        finally:
            self.image.undo_group_end()

    def new_document(self, name: str, layers: Sequence[NewLayer]) -> GimpDocument:
        """A new image (GIMP names images by their file: ``name`` is not used); the first layer ends up at
        the bottom, as GIF export wants."""
        first = layers[0].image
        rgb = first.channels >= 3
        image = Gimp.Image.new_with_precision(
            first.width,
            first.height,
            Gimp.ImageBaseType.RGB if rgb else Gimp.ImageBaseType.GRAY,
            getattr(Gimp.Precision, pixels.precision_name(first.bit_depth)),
        )
        image.undo_disable()
        layer = None
        for new in layers:
            layer = self._new_layer(image, new.name, new.image, rgb)
            image.insert_layer(layer, None, 0)
            self._fill(layer, new.image)
        image.undo_enable()
        if self.show:
            Gimp.Display.new(image)
        return GimpDocument(image, layer, show=self.show)


class GimpProgress:
    """GIMP's progress bar for this plug-in call."""

    def __init__(self, text: str = "SinGAN") -> None:
        Gimp.progress_init(text)

    def update(self, fraction: float, text: str) -> None:
        Gimp.progress_set_text(text)
        Gimp.progress_update(max(0.0, min(1.0, fraction)))

    def pulse(self, text: str) -> None:
        Gimp.progress_set_text(text)
        Gimp.progress_pulse()

    def end(self) -> None:
        Gimp.progress_end()
