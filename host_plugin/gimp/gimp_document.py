"""The :class:`~host_plugin.gimp.actions.Document` of a real GIMP 3 image (imports ``gi.repository.Gimp``).

Pixels go through the drawable's GEGL buffer in an explicit babl format (see ``pixels``); results are
new layers inside one undo group, or new images; the model reference is a persistent parasite on the
image and on the trained layer.
"""

from __future__ import annotations

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp  # noqa: E402

from host_plugin.client import RawImage  # noqa: E402

from . import model_ref, pixels  # noqa: E402
from .model_ref import ModelRef  # noqa: E402
from .placement import Placement  # noqa: E402
from .regions import Rect  # noqa: E402

_BASE_TYPES = {
    Gimp.ImageBaseType.RGB: "rgb",
    Gimp.ImageBaseType.GRAY: "gray",
    Gimp.ImageBaseType.INDEXED: "indexed",
}


def read_parasite(item: Gimp.Image | Gimp.Item | None) -> ModelRef | None:
    if item is None:
        return None
    parasite = item.get_parasite(model_ref.PARASITE_NAME)
    return model_ref.decode(bytes(parasite.get_data())) if parasite is not None else None


class GimpDocument:
    """One image and its active drawable. ``show`` opens a display for new images (interactive runs)."""

    def __init__(self, image: Gimp.Image, drawable: Gimp.Drawable, *, show: bool = False) -> None:
        self.image = image
        self.drawable = drawable
        self.show = show

    # -- reading ----------------------------------------------------------------------------------
    def title(self) -> str:
        file = self.image.get_file()
        name = file.get_basename() if file is not None else f"Untitled-{self.image.get_id()}"
        return f"{name} / {self.drawable.get_name()}"

    def layer_rect(self) -> Rect:
        _, x, y = self.drawable.get_offsets()
        return Rect(x, y, self.drawable.get_width(), self.drawable.get_height())

    def selection_rect(self) -> Rect | None:
        _, non_empty, x1, y1, x2, y2 = Gimp.Selection.bounds(self.image)
        return Rect.from_corners(x1, y1, x2, y2) if non_empty else None

    def layout(self) -> pixels.PixelLayout:
        base = _BASE_TYPES.get(self.image.get_base_type(), "unknown")
        bits = pixels.precision_bits(self.image.get_precision().value_name)
        return pixels.layout_for_drawable(base, self.drawable.has_alpha(), bits)

    def read(self, area: Rect, *, with_mask: bool = False) -> RawImage:
        pixel_layout = self.layout()
        local = area.local_to(self.layer_rect())
        rect = Gegl.Rectangle.new(local.x, local.y, local.width, local.height)
        data = self.drawable.get_buffer().get(rect, 1.0, pixel_layout.babl_format, Gegl.AbyssPolicy.CLAMP)
        mask = None
        if with_mask and self.selection_rect() is not None:
            selection = self.image.get_selection().get_buffer()
            sel_rect = Gegl.Rectangle.new(area.x, area.y, area.width, area.height)
            mask = bytes(selection.get(sel_rect, 1.0, "Y u8", Gegl.AbyssPolicy.NONE))
        return pixels.to_raw_image(
            bytes(data), area.width, area.height, pixel_layout, mask=mask, offset=(area.x, area.y)
        )

    # -- writing ----------------------------------------------------------------------------------
    def remember_model(self, ref: ModelRef) -> None:
        parasite = Gimp.Parasite.new(model_ref.PARASITE_NAME, Gimp.PARASITE_PERSISTENT, model_ref.encode(ref))
        self.image.attach_parasite(parasite)
        self.drawable.attach_parasite(parasite)

    def _new_layer(self, image: Gimp.Image, name: str, raw: RawImage, rgb_image: bool) -> Gimp.Layer:
        type_name = pixels.layer_type_name(rgb_image, raw.channels in (2, 4))
        layer = Gimp.Layer.new(
            image,
            name,
            raw.width,
            raw.height,
            getattr(Gimp.ImageType, type_name),
            100.0,
            Gimp.LayerMode.NORMAL,
        )
        return layer

    @staticmethod
    def _fill(layer: Gimp.Layer, raw: RawImage) -> None:
        pixel_layout, data = pixels.from_raw_image(raw)
        buffer = layer.get_buffer()
        buffer.set(Gegl.Rectangle.new(0, 0, raw.width, raw.height), pixel_layout.babl_format, data)
        buffer.flush()
        layer.update(0, 0, raw.width, raw.height)

    def add_layers(self, results: list[tuple[Placement, RawImage]]) -> None:
        rgb_image = self.image.get_base_type() != Gimp.ImageBaseType.GRAY
        if self.drawable.is_layer():
            parent, position = self.drawable.get_parent(), self.image.get_item_position(self.drawable)
        else:
            parent, position = None, 0
        self.image.undo_group_start()
        try:
            for place, raw in results:
                layer = self._new_layer(self.image, place.name, raw, rgb_image)
                self.image.insert_layer(layer, parent, position)
                layer.set_offsets(place.x, place.y)
                self._fill(layer, raw)
        finally:
            self.image.undo_group_end()
        Gimp.displays_flush()

    def new_image(self, layers: list[tuple[str, RawImage]]) -> Gimp.Image:
        first = layers[0][1]
        rgb = first.channels >= 3
        image = Gimp.Image.new_with_precision(
            first.width,
            first.height,
            Gimp.ImageBaseType.RGB if rgb else Gimp.ImageBaseType.GRAY,
            getattr(Gimp.Precision, pixels.precision_name(first.bit_depth)),
        )
        image.undo_disable()
        for name, raw in layers:  # the first frame ends up at the bottom, as GIF export wants
            layer = self._new_layer(image, name, raw, rgb)
            image.insert_layer(layer, None, 0)
            self._fill(layer, raw)
        image.undo_enable()
        if self.show:
            Gimp.Display.new(image)
        return image


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
