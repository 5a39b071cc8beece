"""segrefiner serve: the page driven in a real headless Chromium (upload, refine,
download), bad uploads answered in one sentence, the API's limits."""
from __future__ import annotations

import json
import shutil
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid

import numpy as np
import pytest
import uvicorn
from helpers import FIXTURES, REPO
from mmengine.config import Config

from segrefiner.apis import Refiner
from segrefiner.datasets.io import read_mask
from segrefiner.registry import MODELS
from segrefiner.web.app import create_app

TINY = REPO / "configs/segrefiner/segrefiner_tiny_big.py"
BIG = FIXTURES / "big"
NAME = "grabcut_106024"
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", "--window-size=1400,1000"]


@pytest.fixture(scope="module")
def refiner(tmp_path_factory):
    import torch

    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(str(TINY)).model)
    path = tmp_path_factory.mktemp("ckpt") / "tiny.pth"
    torch.save(model.state_dict(), path)
    return Refiner(TINY, path)


@pytest.fixture(scope="module")
def server(refiner):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(refiner, max_upload_mb=1.0), host="127.0.0.1",
                            port=port, log_level="warning")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not instance.started and time.time() < deadline:
        time.sleep(0.05)
    assert instance.started
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


def post(url: str, files: dict[str, tuple[str, bytes]], fields: dict[str, str] | None = None):
    """A multipart POST; returns (status, decoded JSON)."""
    boundary = uuid.uuid4().hex
    body = b""
    for name, (filename, data) in files.items():
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; "
                 f"filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                 ).encode() + data + b"\r\n"
    for name, value in (fields or {}).items():
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                 f"{value}\r\n").encode()
    body += f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def one_sentence(text: str) -> bool:
    return text.endswith(".") and "\n" not in text and "Traceback" not in text and text[0].isupper()


@pytest.mark.parametrize("case", ["not an image", "sizes differ", "empty mask", "too large",
                                  "no mask"])
def test_bad_uploads_get_one_sentence(server, case, tmp_path):
    image = (BIG / f"{NAME}_im.jpg").read_bytes()
    mask = (BIG / f"{NAME}_seg.png").read_bytes()
    import cv2

    files = {"image": ("im.jpg", image), "mask": ("mask.png", mask)}
    if case == "not an image":
        files["image"] = ("notes.jpg", b"just some text")
    elif case == "sizes differ":
        small = cv2.imencode(".png", np.zeros((10, 10), np.uint8))[1].tobytes()
        files["mask"] = ("small.png", small)
    elif case == "empty mask":
        h, w = read_mask(BIG / f"{NAME}_seg.png").shape
        empty = cv2.imencode(".png", np.zeros((h, w), np.uint8))[1].tobytes()
        files["mask"] = ("empty.png", empty)
    elif case == "too large":
        files["image"] = ("huge.jpg", b"\xff" * (2 * 2**20))
    else:
        del files["mask"]
    status, answer = post(f"{server}/api/refine", files)
    assert status in (400, 413), answer
    assert one_sentence(answer["error"]), answer["error"]


def test_a_box_gives_a_refined_mask(server):
    image = (BIG / f"{NAME}_im.jpg").read_bytes()
    status, answer = post(f"{server}/api/refine", {"image": ("im.jpg", image)},
                          {"box": "20,20,200,180"})
    assert status == 200, answer
    for _ in range(600):
        with urllib.request.urlopen(f"{server}/api/jobs/{answer['job']}") as response:
            state = json.loads(response.read())
        if state["state"] != "running":
            break
        time.sleep(0.1)
    assert state["state"] == "done" and state["done"] == state["total"] > 0


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and chromedriver):
        pytest.fail("the browser test needs Debian's chromium and chromium-driver on PATH "
                    "(apt-get install chromium chromium-driver)", pytrace=False)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chrome-profile')}")
    driver = webdriver.Chrome(options=options, service=Service(chromedriver))
    yield driver
    driver.quit()


def test_the_page_uploads_refines_and_downloads(server, browser, refiner, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    image, coarse = tmp_path / "photo.jpg", tmp_path / "coarse.png"
    shutil.copy(BIG / f"{NAME}_im.jpg", image)
    shutil.copy(BIG / f"{NAME}_seg.png", coarse)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd("Page.setDownloadBehavior",
                            {"behavior": "allow", "downloadPath": str(downloads)})
    browser.get(server)
    browser.find_element(By.ID, "image-input").send_keys(str(image))
    browser.find_element(By.ID, "mask-input").send_keys(str(coarse))
    browser.find_element(By.ID, "refine").click()
    WebDriverWait(browser, 180).until(ec.visibility_of_element_located((By.ID, "result")))
    WebDriverWait(browser, 30).until(lambda d: d.execute_script(
        "const a = document.getElementById('overlay'), b = document.getElementById('steps');"
        "return a.complete && a.naturalWidth > 0 && b.complete && b.naturalWidth > 0;"))
    assert browser.find_element(By.ID, "error").text == ""
    shot = tmp_path / "page.png"  # kept under pytest's tmp folder to look at
    browser.save_screenshot(str(shot))
    import cv2

    pixels = cv2.imread(str(shot))
    assert pixels is not None and pixels.std() > 20  # not blank
    browser.find_element(By.ID, "download").click()
    target = downloads / "refined.png"
    deadline = time.time() + 30
    while not target.is_file() and time.time() < deadline:
        time.sleep(0.1)
    assert target.is_file()
    expected = refiner.refine(image, coarse)
    assert np.array_equal(read_mask(target), expected.astype(bool))


def test_the_page_says_what_is_wrong_with_a_bad_upload(server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    bad = tmp_path / "notes.jpg"
    bad.write_text("not a picture")
    browser.get(server)
    browser.find_element(By.ID, "image-input").send_keys(str(bad))
    browser.find_element(By.ID, "tool-box").click()
    browser.find_element(By.ID, "refine").click()
    WebDriverWait(browser, 30).until(
        lambda d: d.find_element(By.ID, "error").text.strip() != "")
    message = browser.find_element(By.ID, "error").text.strip()
    assert one_sentence(message) and "notes.jpg" in message
