"""The page to try segrefiner in a browser (``segrefiner serve``): a Starlette app.

Starlette (with uvicorn) rather than Gradio: a small, well-kept ASGI toolkit with a few
pure-Python dependencies, and one static page of our own (``page.html``) whose upload,
drawing, progress and download behave the same in every browser, tested end to end.

    GET  /                         the page
    POST /api/refine               multipart: image, and mask (a file, or the page's
                                   drawing as a PNG) or box "x1,y1,x2,y2" -> {"job": id}
    GET  /api/jobs/{id}            {"state": running|done|failed, "done", "total",
                                   "error", "confidence"}
    GET  /api/jobs/{id}/{file}     refined.png, coarse.png, overlay.jpg, steps.gif

A bad upload is answered with HTTP 400 and {"error": one sentence}; the server never
shows a traceback. Refinement runs in one worker thread, one job at a time.
"""
from __future__ import annotations

import io
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from segrefiner.datasets.io import decode_picture, image_from_pil, mask_from_pil, mask_png_bytes
from segrefiner.utils.errors import UserError
from segrefiner.visualization.pictures import overlay_pair, rgb_bytes, step_frames, step_strip_bytes

PAGE = Path(__file__).with_name("page.html")
MEDIA_TYPES = {"refined.png": "image/png", "coarse.png": "image/png",
               "overlay.jpg": "image/jpeg", "steps.gif": "image/gif"}
MAX_JOBS = 64  # finished jobs kept for download; the oldest go first


@dataclass
class Job:
    """One refinement: its progress, and its pictures once done."""

    state: str = "running"
    done: int = 0
    total: int = 0
    error: str | None = None
    confidence: float | None = None
    files: dict[str, bytes] = field(default_factory=dict)


def sentence(message: str) -> str:
    """A message as one sentence: capitalised, ending in a full stop."""
    message = " ".join(message.split())
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def parse_box(text: str, width: int, height: int) -> tuple[int, int, int, int]:
    """'x1,y1,x2,y2' in image pixels -> (x, y, w, h) inside the image; UserError if not."""
    try:
        x1, y1, x2, y2 = (round(float(v)) for v in text.split(","))
    except ValueError:
        raise UserError("The box must be four numbers: x1,y1,x2,y2.") from None
    x1, x2 = sorted((max(0, min(width, x1)), max(0, min(width, x2))))
    y1, y2 = sorted((max(0, min(height, y1)), max(0, min(height, y2))))
    if x2 - x1 < 8 or y2 - y1 < 8:
        raise UserError("The box is too small: draw it around the object.")
    if (x2 - x1) * (y2 - y1) >= width * height:
        raise UserError("The box covers the whole image: draw it around the object.")
    return x1, y1, x2 - x1, y2 - y1


def coarse_from_box(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """A coarse mask for a box: GrabCut inside it (seeded), the box itself if that fails."""
    from segrefiner.analysis.baselines import seeded_grabcut

    found = seeded_grabcut(image, np.zeros(image.shape[:2], np.uint8), 5, 0, rect=box)
    if found is None or not found.any():
        x, y, w, h = box
        found = np.zeros(image.shape[:2], bool)
        found[y:y + h, x:x + w] = True
    return found


def create_app(refiner, max_upload_mb: float = 40.0) -> Starlette:
    """The app around a loaded ``Refiner`` (see the module docstring)."""
    jobs: dict[str, Job] = {}
    lock = threading.Lock()
    worker = ThreadPoolExecutor(max_workers=1)
    max_bytes = int(max_upload_mb * 2**20)

    def run(job: Job, image: np.ndarray, coarse: np.ndarray) -> None:
        def progress(done: int, total: int) -> None:
            job.done, job.total = done, total

        steps: list[tuple[str, np.ndarray]] = []
        try:
            refined, confidence = refiner.refine(
                image, coarse, on_step=lambda t, m: steps.append((refiner.step_label(t), m)),
                on_progress=progress, return_confidence=True)
            job.files = {
                "refined.png": mask_png_bytes(refined), "coarse.png": mask_png_bytes(coarse),
                "overlay.jpg": rgb_bytes(overlay_pair(image, coarse, refined), ".jpg"),
                "steps.gif": step_strip_bytes(step_frames(coarse, steps, refined), ".gif")}
            job.confidence = None if np.isnan(confidence) else round(confidence, 4)
            job.done = job.total
            job.state = "done"
        except UserError as err:
            job.error, job.state = str(err), "failed"
        except Exception as err:  # the page gets one sentence, never a traceback
            job.error, job.state = f"Refinement failed: {type(err).__name__}.", "failed"

    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(PAGE.read_text(encoding="utf-8"))

    async def read_upload(form, key: str, what: str):
        upload = form.get(key)
        if upload is None or isinstance(upload, str) or not upload.filename:
            return None
        data = await upload.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise UserError(f"The {what} is larger than {max_upload_mb:g} MB.")
        if not data:
            raise UserError(f"The {what} file is empty.")
        try:
            return decode_picture(io.BytesIO(data), upload.filename, what)
        except UserError as err:
            reason = str(err).removeprefix(f"{upload.filename}: ")
            raise UserError(f"The {what} {upload.filename} could not be read: {reason}.") from None

    async def refine(request: Request) -> JSONResponse:
        if int(request.headers.get("content-length") or 0) > 2 * max_bytes + 2**20:
            return JSONResponse({"error": f"The upload is larger than {max_upload_mb:g} MB."},
                                status_code=413)
        try:
            async with request.form(max_files=3, max_fields=8) as form:
                picture = await read_upload(form, "image", "image")
                if picture is None:
                    raise UserError("Choose an image first.")
                image = image_from_pil(picture)
                height, width = image.shape[:2]
                mask_picture = await read_upload(form, "mask", "mask")
                box = form.get("box")
                if mask_picture is not None:
                    coarse = mask_from_pil(mask_picture, "The mask")
                    if coarse.shape != (height, width):
                        raise UserError(f"The mask is {coarse.shape[1]}x{coarse.shape[0]} "
                                        f"pixels but the image is {width}x{height}: they must "
                                        "be the same size.")
                elif isinstance(box, str) and box:
                    coarse = coarse_from_box(image, parse_box(box, width, height))
                else:
                    raise UserError("Give a coarse mask: upload one, paint it, or draw a box.")
                if not coarse.any():
                    raise UserError("The mask is empty: mark the object to refine.")
        except UserError as err:
            return JSONResponse({"error": sentence(str(err))}, status_code=400)
        job_id = uuid.uuid4().hex
        with lock:
            while len(jobs) >= MAX_JOBS:
                jobs.pop(next(iter(jobs)))
            jobs[job_id] = job = Job()
        worker.submit(run, job, image, coarse)
        return JSONResponse({"job": job_id})

    async def job_status(request: Request) -> JSONResponse:
        job = jobs.get(request.path_params["job_id"])
        if job is None:
            return JSONResponse({"error": "No such job (the server may have restarted)."},
                                status_code=404)
        return JSONResponse({"state": job.state, "done": job.done, "total": job.total,
                             "error": job.error, "confidence": job.confidence})

    async def job_file(request: Request) -> Response:
        job = jobs.get(request.path_params["job_id"])
        name = request.path_params["name"]
        if job is None or name not in job.files:
            return JSONResponse({"error": "No such file."}, status_code=404)
        headers = {"Content-Disposition": f'attachment; filename="{name}"'} if (
            request.query_params.get("download")) else {}
        return Response(job.files[name], media_type=MEDIA_TYPES[name], headers=headers)

    return Starlette(routes=[
        Route("/", page),
        Route("/api/refine", refine, methods=["POST"]),
        Route("/api/jobs/{job_id}", job_status),
        Route("/api/jobs/{job_id}/{name}", job_file),
    ])
