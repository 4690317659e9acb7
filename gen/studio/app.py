"""The studio's HTTP API and page, as a Starlette app.

Every user mistake is a GenError, answered as JSON ``{"error": message}`` with 400 (404 for a run
or file that does not exist); anything else is logged on stderr and answered 500 with one line,
never a traceback page. Sampling and model loads run on a small thread pool of their own
(gen.studio.memory: a bounded number of threads keeps memory flat), so the event loop keeps
serving while a model samples; each model has a lock (see runs.Models) and at most
``MAX_STREAMS`` samples run at once, more wait in a short queue (gen.studio.queue).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
import traceback
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from gen.errors import GenError
from gen.studio import inside, memory, runs, sampling, scores
from gen.studio.queue import Busy, Slots

STATIC = Path(__file__).parent / "static"
MAX_STREAMS = 4
MAX_WAITING = 32      # requests queued behind the running ones; more get 429 at once
WAIT_SECONDS = 60.0   # the longest a queued request waits; then an error event says try again


def create_app(runs_root: Path, runs_arg: str | None = None, host: str = "127.0.0.1") -> Starlette:
    """The app serving runs under ``runs_root``; ``runs_arg`` is how the user wrote that folder
    (used in the `gen sample -c ...` lines the page shows)."""
    runs_arg = runs_arg if runs_arg is not None else str(runs_root)
    models = runs.Models()
    acts = inside.Activations()
    slots = Slots(MAX_STREAMS, MAX_WAITING, WAIT_SECONDS)
    # Sampling and model loads run on a few threads of their own, not Starlette's pool of 40:
    # each thread that runs torch keeps its own allocator arena and buffers (gen.studio.memory).
    memory.bound_allocator()
    pool = memory.model_pool(MAX_STREAMS + 1)
    state: dict = {}

    @asynccontextmanager
    async def lifespan(app):
        work = Path(tempfile.mkdtemp(prefix="gen-studio-"))
        state["work"], state["batches"] = work, scores.Batches(work)
        # Importing torch and loading a model take seconds: do it now for the latest run, so
        # the first press of "Sample" answers at once.
        threading.Thread(target=warm_up, daemon=True).start()
        try:
            yield
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def warm_up() -> None:
        try:
            from gen import checkpoint as ckpt
            import gen.sample  # noqa: F401

            models.get(ckpt.find_latest(runs_root, bundled=False).resolve())
        except Exception:  # no runs yet, or a broken one: the page will say so when asked
            pass

    def batches() -> scores.Batches:
        if "batches" not in state:  # no lifespan (a bare TestClient): make the folder now
            work = Path(tempfile.mkdtemp(prefix="gen-studio-"))
            state["work"], state["batches"] = work, scores.Batches(work)
        return state["batches"]

    async def body_of(request: Request) -> dict:
        # JSON only: another web site's page cannot send that without the browser asking this
        # server first (CORS preflight, which it does not answer), so it cannot drive the studio.
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            raise GenError("send the request body as JSON (Content-Type: application/json)")
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise GenError("the request body must be JSON") from None
        if not isinstance(body, dict):
            raise GenError("the request body must be a JSON object")
        return body

    def model_for(name) -> runs.Model:
        return models.get(runs.resolve(runs_root, name))

    async def index(request):
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def list_runs(request):
        def work():
            version = runs.version(runs_root)
            if request.query_params.get("since") == repr(version):
                return {"version": repr(version), "unchanged": True}
            rows = []
            for name in runs.list_runs(runs_root):
                try:
                    rows.append(runs.summary(runs_root, name))
                except GenError as e:  # one unreadable run must not hide the others
                    rows.append({"name": name, "error": str(e)})
            return {"version": repr(version), "root": runs_arg, "runs": rows,
                    "limits": {"length": sampling.MAX_LENGTH, "num_samples": sampling.MAX_SAMPLES}}
        return JSONResponse(await run_in_threadpool(work))

    async def sample(request):
        t0 = time.perf_counter()
        body = await body_of(request)
        opts = sampling.parse_options(body)
        model = await memory.run_in(pool, model_for, body.get("run"))
        kind = model.loaded.meta["corpus"]["kind"]
        start = {"type": "start", "run": body.get("run"), "kind": kind, "rng_seed": opts.rng_seed,
                 "num_samples": opts.num_samples, "seed": opts.seed,
                 "command": sampling.command_line(f"{runs_arg.rstrip('/')}/{body.get('run')}", opts)}

        def prepare():
            return sampling.text_steps(model, opts) if kind == "text" else music_batch(model, opts)

        # Every slot taken: the answer starts at once with a "waiting" event (the page says so)
        # and the sample follows when a slot frees; past the queue's bound it is 429 now, past
        # its time limit an error event.
        queued = not slots.try_acquire()
        if queued and slots.waiting >= slots.max_waiting:
            raise Busy(f"{MAX_STREAMS} samples are running and {slots.waiting} waiting; "
                       "try again in a moment")
        work = None
        if not queued:
            try:
                work = await memory.run_in(pool, prepare)  # a bad seed is still a plain 400
            except BaseException:
                slots.release()
                raise

        async def stream():
            nonlocal work
            held = not queued
            try:
                if queued:
                    yield json.dumps({"type": "waiting", "ahead": slots.waiting,
                                      "running": MAX_STREAMS}) + "\n"
                    await slots.acquire()
                    held = True
                    work = await memory.run_in(pool, prepare)
                yield json.dumps(start) + "\n"
                if kind == "text":
                    async for pieces in memory.iterate_in(pool, work):
                        yield json.dumps({"type": "tokens", "pieces": pieces}) + "\n"
                else:
                    yield json.dumps(work) + "\n"
                yield json.dumps({"type": "done", "seconds": round(time.perf_counter() - t0, 3)}) + "\n"
            except GenError as e:
                yield json.dumps({"type": "error", "message": str(e)}) + "\n"
            finally:
                if held:
                    slots.release()
                    work = None  # the sampler's buffers go now, then back to the system
                    memory.trim()

        return StreamingResponse(stream(), media_type="application/x-ndjson",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    def music_batch(model, opts) -> dict:
        store = batches()
        folder = sampling.new_workdir(store.root)
        kind = model.loaded.meta["corpus"]["kind"]
        try:
            items = sampling.music_samples(model, opts, folder)
            svgs = scores.abc_svgs(items, folder) if kind == "abc" else \
                [scores.piano_roll(t) for t in items]
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)  # a bad seed leaves no folder behind
            raise
        batch = store.add(folder, kind, items)
        files = ["abc", "mid", "musicxml"] if kind == "abc" else ["mid", "musicxml", "txt"]
        return {"type": "tunes", "batch": batch.id, "audio": scores.audio_note(),
                "score_note": None if kind != "abc" or shutil.which("abcm2ps") else
                "scores need abcm2ps (apt-get install abcm2ps)",
                "tunes": [{"index": i, "text": t, "svg": s,
                           "files": {ext: f"/api/files/{batch.id}/tune-{i}.{ext}" for ext in files},
                           "wav": f"/api/files/{batch.id}/tune-{i}.wav"}
                          for i, (t, s) in enumerate(zip(items, svgs), 1)]}

    async def warm(request):
        body = await body_of(request)
        await memory.run_in(pool, model_for, body.get("run"))
        return JSONResponse({"ready": body.get("run")})

    async def files(request):
        batch, name = request.path_params["batch"], request.path_params["name"]
        path = await run_in_threadpool(batches().file, batch, name)
        ext = name.rsplit(".", 1)[1]
        return FileResponse(path, media_type=scores.FILE_TYPES[ext],
                            filename=None if ext == "wav" else name)

    async def inside_request(request):
        what = request.path_params["what"]
        body = await body_of(request)

        def work():
            model = model_for(body.get("run"))
            if what == "gradient":
                # No passage: the probe picks a stretch of validation text as long as it needs.
                text = inside.passage(model, body.get("text")) if body.get("text") else None
                max_k = sampling._number(body, "max_k", int, inside.MAX_K)
                return {"run": body.get("run"), "cell": model.loaded.meta["model"]["cell"],
                        "curve": inside.gradient(model, text, max_k)}
            text = inside.passage(model, body.get("text"))
            if what == "text":
                return {"text": text}
            if what == "surprise":
                return {"text": text, **inside.surprise(model, text)}
            if what == "features":
                return {"features": inside.features(model, text)}
            if what == "unit":
                unit = sampling._number(body, "unit", int, None)
                return acts.unit(model, text, unit)
            raise runs.NotFound(f"no look-inside view {what!r}")
        return JSONResponse(await run_in_threadpool(work))

    async def gen_error(request, exc: GenError):
        code = 404 if isinstance(exc, runs.NotFound) else 429 if isinstance(exc, Busy) else 400
        return JSONResponse({"error": str(exc)}, status_code=code)

    async def http_error(request, exc: HTTPException):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)

    async def crash(request, exc: Exception):
        traceback.print_exception(type(exc), exc, exc.__traceback__)
        return JSONResponse({"error": f"internal error ({type(exc).__name__}); details are in "
                                      "the terminal running gen studio"}, status_code=500)

    routes = [
        Route("/", index),
        Route("/api/runs", list_runs),
        Route("/api/sample", sample, methods=["POST"]),
        Route("/api/warm", warm, methods=["POST"]),
        Route("/api/files/{batch}/{name}", files),
        Route("/api/inside/{what}", inside_request, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    # Answer only requests addressed to this server by name (a web page that points a name it
    # controls at 127.0.0.1, DNS rebinding, gets 400).
    # Serving every interface (--host 0.0.0.0) means being reached by names we cannot know.
    hosts = ["*"] if host in ("0.0.0.0", "::") else ["127.0.0.1", "localhost", "[::1]", host]
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=hosts)]
    return Starlette(routes=routes, lifespan=lifespan, middleware=middleware,
                     exception_handlers={GenError: gen_error, HTTPException: http_error,
                                         Exception: crash})
