"""Datasets in the official layouts, plus a folder dataset for custom data.

Every dataset is an mmengine ``BaseDataset`` whose ``load_data_list`` returns plain
dicts of paths and meta; the pipeline (``datasets/transforms``) loads and transforms.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
from mmengine.dataset import BaseDataset

from segrefiner.datasets.io import IMAGE_SUFFIXES
from segrefiner.datasets.pairing import pair_by_name
from segrefiner.registry import DATASETS
from segrefiner.utils.errors import UserError
from segrefiner.utils.io import read_json


def _require_dir(path: Path, what: str) -> Path:
    if not path.is_dir():
        raise UserError(f"{path}: no such {what} folder")
    return path


def image_relpath(image: dict) -> str:
    """COCO-relative image path: ``val2017/NAME.jpg`` from LVIS's ``coco_url``, else file_name."""
    if "coco_url" in image:
        parts = image["coco_url"].split("/")
        return f"{parts[-2]}/{parts[-1]}"
    return image["file_name"]


@DATASETS.register_module()
class LVISRefineDataset(BaseDataset):
    """LVIS (v0.5 / v1) images with at least one instance of area > ``min_area``.

    Images are found as ``<data_prefix.img>/<split>/<name>.jpg`` from each image's
    ``coco_url`` (as LVIS v1 loaders do). Each item holds all its eligible instances;
    ``SampleInstance`` picks one per access (LR training).
    """

    def __init__(self, *args, min_area: float = 512, **kwargs) -> None:
        self.min_area = min_area
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> list[dict]:
        data = read_json(self.ann_file, "LVIS annotation")
        instances = defaultdict(list)
        for ann in data["annotations"]:
            if ann.get("area", 0) > self.min_area:
                instances[ann["image_id"]].append(dict(segmentation=ann["segmentation"],
                                                       category_id=ann["category_id"]))
        root = Path(self.data_prefix.get("img", ""))
        return [dict(img_path=str(root / image_relpath(img)), img_id=img["id"],
                     instances=instances[img["id"]])
                for img in data["images"] if instances[img["id"]]]


@DATASETS.register_module()
class FolderRefineDataset(BaseDataset):
    """Custom data: ``<root>/images/NAME.*``, ``<root>/masks/NAME.png`` [, ``coarse/NAME.png``].

    Training uses online coarse masks when there is no ``coarse`` folder; testing needs
    one. Several roots may be given (``roots``) to train on a union of sets.
    Saliency-style layouts: ``img_dir=''``, ``mask_dir=''`` and ``img_suffixes=('.jpg',)``
    pair ``NAME.jpg`` with ``NAME.png`` in one folder (DUTS, ECSSD, MSRA-10K as CascadePSP
    and CRM store them); ``subfolders=True`` takes every sub-folder of each root as a root
    (FSS-1000: ``<class>/N.jpg`` + ``N.png``).
    """

    def __init__(self, *args, roots: list[str] | None = None, img_dir: str = "images",
                 mask_dir: str = "masks", coarse_dir: str | None = None,
                 img_suffixes: tuple[str, ...] = IMAGE_SUFFIXES, subfolders: bool = False,
                 **kwargs) -> None:
        self.roots, self.coarse_dir = roots, coarse_dir
        self.img_dir, self.mask_dir = img_dir, mask_dir
        self.img_suffixes, self.subfolders = tuple(img_suffixes), subfolders
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> list[dict]:
        roots = [Path(r) for r in (self.roots or [self.data_root])]
        if self.subfolders:
            roots = [sub for root in roots
                     for sub in sorted(_require_dir(root, "data").iterdir()) if sub.is_dir()]
        items = []
        for root in roots:
            img_dir = _require_dir(root / self.img_dir, "image")
            mask_dir = _require_dir(root / self.mask_dir, "mask")
            pairs, _ = pair_by_name(img_dir, mask_dir, self.img_suffixes, (".png",))
            for _, img_path, mask_path in pairs:
                item = dict(img_path=str(img_path), gt_mask_path=str(mask_path),
                            name=img_path.stem, out_name=f"{img_path.stem}.png")
                if self.coarse_dir:
                    coarse = root / self.coarse_dir / f"{img_path.stem}.png"
                    if not coarse.is_file():
                        continue
                    item["coarse_mask_path"] = str(coarse)
                items.append(item)
        if not items:
            raise UserError(f"{(self.roots or [self.data_root])[0]}: no image / mask pairs found")
        return items


@DATASETS.register_module()
class HRCollectionDataset(BaseDataset):
    """HR training set listed by ``scripts/gen_coarse_masks_hr.py`` (``collection_hr.json``).

    Each entry: ``img_path``, ``gt_mask_path``, ``coarse_mask_paths`` (plain and expanded
    coarse masks), relative to ``data_root``.
    """

    def load_data_list(self) -> list[dict]:
        entries = read_json(self.ann_file, "HR collection")
        root = Path(self.data_root or "")
        return [dict(img_path=str(root / e["img_path"]), gt_mask_path=str(root / e["gt_mask_path"]),
                     coarse_mask_paths=[str(root / p) for p in e["coarse_mask_paths"]],
                     name=Path(e["img_path"]).stem)
                for e in entries]


@DATASETS.register_module()
class COCOResultsDataset(BaseDataset):
    """Test set for instance refinement: images + a COCO results JSON of any model.

    Args:
        results_file: a COCO results JSON: a list of (image_id, category_id,
            segmentation RLE / polygons, score [, bbox]); ``coarse_file`` is accepted as
            an alias.
        ann_file: COCO / LVIS annotations giving each image's file (and, for evaluation,
            the ground truth). Without it, images are ``<img prefix>/<image_id:012d>.jpg``.
        skip_missing_images: skip (and count) detections whose image is not found
            instead of failing.
    Images without detections are skipped. Each item's ``indices`` are its detections'
    positions in the results file (to write refined results in the input's order).
    """

    def __init__(self, *args, results_file: str = "", skip_missing_images: bool = False,
                 coarse_file: str = "", **kwargs) -> None:
        if coarse_file and results_file and coarse_file != results_file:
            raise UserError(f"give results_file or coarse_file, not both ({results_file}, "
                            f"{coarse_file})")
        self.results_file = results_file or coarse_file
        self.skip_missing_images = skip_missing_images
        self.num_skipped = 0
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> list[dict]:
        results = read_json(self.results_file, "coarse results")
        if not isinstance(results, list):
            raise UserError(f"{self.results_file}: expected a list of results")
        by_image = defaultdict(list)
        for i, det in enumerate(results):
            if not isinstance(det, dict) or not {"image_id", "segmentation"} <= set(det):
                raise UserError(f"{self.results_file}: result {i} lacks image_id or segmentation")
            by_image[det["image_id"]].append((i, det))
        root = Path(self.data_prefix.get("img", ""))
        paths = {}
        if self.ann_file:
            gt = read_json(self.ann_file, "annotation")
            paths = {img["id"]: (image_relpath(img), img.get("height"), img.get("width"))
                     for img in gt["images"]}
        items = []
        for img_id in sorted(by_image):
            rel = paths.get(img_id, (f"{int(img_id):012d}.jpg", None, None))[0]
            img_path = root / rel
            if not img_path.is_file() and not (root / Path(rel).name).is_file():
                if self.skip_missing_images:
                    self.num_skipped += 1
                    continue
                raise UserError(f"{img_path}: image of image_id {img_id} not found "
                                "(to skip such detections: --skip-missing-images, "
                                "skip_missing_images=True in a config)")
            if not img_path.is_file():
                img_path = root / Path(rel).name
            indices = [i for i, _ in by_image[img_id]]
            dets = [det for _, det in by_image[img_id]]
            items.append(dict(img_path=str(img_path), img_id=img_id, detections=dets,
                              indices=indices,
                              segmentations=[d["segmentation"] for d in dets],
                              scores=np.array([d.get("score", 1.0) for d in dets], np.float64),
                              labels=np.array([d.get("category_id", 0) for d in dets], np.int64),
                              bboxes=np.array([d.get("bbox", [0, 0, 0, 0]) for d in dets],
                                              np.float64).reshape(-1, 4)))
        return items


@DATASETS.register_module()
class BIGDataset(BaseDataset):
    """BIG: ``NAME_im.jpg``, ``NAME_gt.png`` and the coarse ``NAME_seg.png`` side by side.

    Refined outputs are named ``NAME_refine.png``.
    """

    def load_data_list(self) -> list[dict]:
        root = _require_dir(Path(self.data_root), "BIG")
        items = []
        for img_path in sorted(root.glob("*_im.jpg")):
            name = img_path.name[: -len("_im.jpg")]
            item = dict(img_path=str(img_path), coarse_mask_path=str(root / f"{name}_seg.png"),
                        name=name, out_name=f"{name}_refine.png")
            if (root / f"{name}_gt.png").is_file():
                item["gt_mask_path"] = str(root / f"{name}_gt.png")
            items.append(item)
        if not items:
            raise UserError(f"{root}: no BIG images (*_im.jpg)")
        return items


@DATASETS.register_module()
class DISDataset(BaseDataset):
    """DIS5K subsets: ``<data_root>/<subset>/im/NAME.jpg``, ``gt/NAME.png`` and coarse
    masks ``<coarse_root>/<subset>/NAME.png``. Outputs are ``<subset>/NAME.png``."""

    def __init__(self, *args, subsets: tuple[str, ...] = ("DIS-VD",),
                 coarse_root: str = "data/dis/coarse/isnet", **kwargs) -> None:
        self.subsets, self.coarse_root = tuple(subsets), coarse_root
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> list[dict]:
        items = []
        for subset in self.subsets:
            img_dir = _require_dir(Path(self.data_root) / subset / "im", "DIS image")
            for img_path in sorted(img_dir.glob("*.jpg")):
                name = img_path.stem
                item = dict(img_path=str(img_path), name=name, out_name=f"{subset}/{name}.png",
                            coarse_mask_path=str(Path(self.coarse_root) / subset / f"{name}.png"))
                gt = Path(self.data_root) / subset / "gt" / f"{name}.png"
                if gt.is_file():
                    item["gt_mask_path"] = str(gt)
                items.append(item)
        return items
