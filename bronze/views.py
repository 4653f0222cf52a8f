from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from bronze import layouts, queue, raw, stages
from bronze.forms import QueueFilterForm, RawFilterForm
from bronze.layout_forms import FieldForm, LayoutForm
from medallion.decorators import page
from medallion.errors import ApiError
from medallion.http import username
from medallion.paging import pager
from medallion.rendering import render_page, selected_tpa
from medallion.roles import has_role
from medallion.warehouse.identifiers import STAGES


@page("operator")
async def upload_page(request: HttpRequest) -> HttpResponse:
    return await render_page(request, "bronze/upload.html")


@page("viewer")
async def status_page(request: HttpRequest) -> HttpResponse:
    tpa = await selected_tpa(request)
    filters = {"tpa": tpa or "", "status": request.GET.get("status", ""), "file_type": request.GET.get("file_type", "")}
    try:
        queue_filter = QueueFilterForm.parse(filters)
        statuses, file_type = queue_filter["status"], queue_filter["file_type"]
    except ApiError:
        filters.update(status="", file_type="")
        statuses, file_type = None, None
    window = pager(request).of(await queue.queue_total(tpa, statuses, file_type))
    rows = await queue.list_queue(tpa, statuses, file_type, window.limit, window.offset)
    counts = await queue.queue_counts(tpa)
    finished = counts["SUCCESS"] + counts["FAILED"]
    return await render_page(
        request,
        "bronze/status.html",
        {
            "counts": counts,
            "total": sum(counts.values()),
            "success_rate": round(100 * counts["SUCCESS"] / finished, 1) if finished else None,
            "rows": rows,
            "pager": window,
            "filters": filters,
            "statuses": queue.STATUSES,
            "file_types": queue.FILE_TYPES,
        },
        fragment="bronze/_queue.html",
    )


@page("viewer")
async def stages_page(request: HttpRequest) -> HttpResponse:
    stage = (request.GET.get("stage") or "SRC").upper()
    if stage not in STAGES:
        stage = "SRC"
    tpa = await selected_tpa(request)
    files = [
        {**staged, "tpa": staged["name"].rpartition("/")[0], "file": staged["name"].rpartition("/")[2]}
        for staged in await stages.list_stage(stage)
    ]
    files = [staged for staged in files if not tpa or staged["tpa"].upper() == tpa]
    window = pager(request).of(len(files))
    return await render_page(
        request,
        "bronze/stages.html",
        {
            "stage": stage,
            "tpa": tpa,
            "totals": await stages.stage_totals(),
            "files": files[window.offset : window.offset + window.limit],
            "pager": window,
        },
    )


@page("viewer")
async def data_page(request: HttpRequest) -> HttpResponse:
    tpa = await selected_tpa(request)
    raw_filter = RawFilterForm.parse({"file_name": request.GET.get("file"), "search": request.GET.get("q")})
    file_name, search = raw_filter["file_name"], raw_filter["search"]
    window = pager(request).of(await raw.raw_count(tpa, file_name, search))
    return await render_page(
        request,
        "bronze/data.html",
        {
            "rows": await raw.raw_records(tpa, file_name, search, window.limit, window.offset),
            "stats": await raw.raw_stats(tpa),
            "pager": window,
            "filters": {"tpa": tpa or "", "file": file_name or "", "q": search or ""},
        },
    )


@page("viewer")
async def fields_page(request: HttpRequest) -> HttpResponse:
    tpa = await selected_tpa(request)
    fields: list[dict[str, Any]] = []
    error = None
    if tpa:
        try:
            fields = await raw.field_profile(tpa)
        except ApiError as failure:
            error = failure.detail
    return await render_page(request, "bronze/fields.html", {"fields": fields, "tpa": tpa, "error": error})


@page("viewer")
async def layouts_page(request: HttpRequest) -> HttpResponse:
    """The selected TPA's file layouts (fixed-width fields, control records): list, add, delete, field by field."""
    tpa = await selected_tpa(request)
    form = LayoutForm(initial={"format": "FIXED_WIDTH"})
    if request.method == "POST" and tpa:
        if not has_role(request.role, "operator"):
            return await render_page(request, "403.html", {"required": "operator"}, status=403)
        form = LayoutForm(request.POST) if request.POST.get("action") == "save" else form
        if await _layout_action(request, tpa, form):
            return HttpResponseRedirect(request.get_full_path())
    stored = await layouts.list_layouts(tpa) if tpa else []
    context = {"tpa": tpa, "layouts": stored, "form": form, "field_form": FieldForm()}
    return await render_page(request, "bronze/layouts.html", context)


async def _layout_action(request: HttpRequest, tpa: str, form: LayoutForm) -> bool:
    """Run the posted action; False when the layout form has to be shown again with its errors."""
    post, user = request.POST, username(request)
    action, layout_name = post.get("action"), post.get("layout_name", "")
    try:
        if action == "save":
            if not form.is_valid():
                return False
            saved = await layouts.save_layout(tpa, form.body(), user=user)
            messages.success(request, f"Layout {saved['layout_name']} saved for {tpa}.")
        elif action == "delete":
            await layouts.delete_layout(tpa, layout_name, user=user)
            messages.success(request, f"Layout {layout_name} deleted.")
        elif action == "add_field":
            field = FieldForm(post)
            if not field.is_valid():
                messages.error(request, _first_error(field))
                return True
            await layouts.add_field(tpa, layout_name, field.cleaned_data, user=user)
            messages.success(request, f"Field {field.cleaned_data['name']} added to {layout_name}.")
        elif action == "delete_field":
            await layouts.remove_field(tpa, layout_name, post.get("field_name", ""), user=user)
            messages.success(request, f"Field {post.get('field_name')} removed from {layout_name}.")
    except ApiError as error:
        if action == "save":
            form.refused(error)
            return False
        messages.error(request, error.detail)
    return True


def _first_error(form: django_forms.Form) -> str:
    name, errors = next(iter(form.errors.items()))
    return f"{name}: {errors[0]}"
