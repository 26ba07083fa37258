"""The recorded runs: a list, a replay page per run, and the run as one file to take home."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from . import export, recorder
from .models import Run
from .replay import replay_data


@require_GET
def run_list(request):
    recorder.flush()  # what happened a moment ago is listed too
    runs = Run.objects.defer("events")
    return render(request, "runs/list.html", {"runs": runs})


@require_GET
def run_page(request, run_id: int):
    recorder.flush()
    run = get_object_or_404(Run, pk=run_id)
    return render(request, "runs/run.html", {"run": run, "data": replay_data(run)})


@require_GET
def run_export(request, run_id: int):
    """The download button: the same replay as one self-contained HTML file."""
    run = get_object_or_404(Run, pk=run_id)
    response = HttpResponse(export.render_file(run), content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.file_name(run)}"'
    return response
