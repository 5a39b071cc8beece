"""The "cocofied" LVIS val: LVIS annotations restricted to the 80 COCO categories.

The published SegRefiner table scores COCO-category detections against LVIS annotations
of COCO val images. Each LVIS category whose synset is one of the COCO categories'
synsets (lvis-api's ``coco_to_synset.json``, bundled) is renamed to that COCO category
id; annotations of other categories are dropped and renumbered from 1; the images'
``neg_category_ids`` / ``not_exhaustive_category_ids`` are mapped likewise; only
categories that still have an annotation or image-level label are kept.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

COCO_TO_SYNSET = Path(__file__).with_name("coco_to_synset.json")


def synset_to_coco_id(mapping_file: str | Path = COCO_TO_SYNSET) -> dict[str, int]:
    mapping = json.loads(Path(mapping_file).read_text())
    return {entry["synset"]: int(entry["coco_cat_id"]) for entry in mapping.values()}


def cocofy_lvis(lvis: dict, mapping_file: str | Path = COCO_TO_SYNSET) -> dict:
    """A new LVIS-format dict restricted to (and numbered by) the COCO categories."""
    to_coco = synset_to_coco_id(mapping_file)
    lvis_to_coco = {c["id"]: to_coco[c["synset"]] for c in lvis["categories"]
                    if c.get("synset") in to_coco}
    used: Counter[int] = Counter()
    annotations = []
    for ann in lvis["annotations"]:
        if ann["category_id"] in lvis_to_coco:
            coco_id = lvis_to_coco[ann["category_id"]]
            annotations.append({**ann, "category_id": coco_id, "id": len(annotations) + 1})
            used[coco_id] += 1
    images = []
    for image in lvis["images"]:
        image = dict(image)
        for key in ("not_exhaustive_category_ids", "neg_category_ids"):
            mapped = [lvis_to_coco[c] for c in image.get(key, []) if c in lvis_to_coco]
            used.update(mapped)
            image[key] = mapped
        images.append(image)
    categories = [{**c, "id": lvis_to_coco[c["id"]]} for c in lvis["categories"]
                  if c["id"] in lvis_to_coco and lvis_to_coco[c["id"]] in used]
    rest = {k: v for k, v in lvis.items() if k not in ("annotations", "images", "categories")}
    return {**rest, "images": images, "annotations": annotations, "categories": categories}


COCOFIED_SUFFIX = "_cocofied.json"


def ensure_cocofied(path: str | Path) -> bool:
    """Create the cocofied annotation file ``path`` (``NAME_cocofied.json``) from the LVIS
    file beside it (``NAME.json``) when it is missing, as the official data/ tree has only
    the LVIS files; True when it was created (and a line printed saying so)."""
    from segrefiner.utils.io import read_json, write_json_atomic

    path = Path(path)
    if path.is_file() or not path.name.endswith(COCOFIED_SUFFIX):
        return False
    source = path.with_name(path.name[: -len(COCOFIED_SUFFIX)] + ".json")
    if not source.is_file():
        return False
    write_json_atomic(path, cocofy_lvis(read_json(source, "LVIS annotation")))
    print(f"created {path} from {source} (LVIS restricted to the COCO categories)")
    return True
