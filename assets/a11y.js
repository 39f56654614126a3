// Keyboard and screen-reader repairs (issue 8, items 15 and 16), applied as elements appear.
// - Charts' toolbars leave the Tab order: Plotly gives each chart about ten focusable buttons,
//   thirty Tab stops on Trends before its content. The toolbar still works with the mouse.
// - Each chart is named by a sentence (title, kind, series, range) and its "Show data as
//   table" toggle (helios_dash/ui/chart_table.py) lists the points the chart drew.
// - "Copy link" is a button; a press on it reaches the clipboard icon inside, which copies.
// - Dash 4's dropdowns and date pickers ship ARIA that axe-core rejects (a focusable field
//   hidden from screen readers, popup attributes on a plain div, a label on an inert link):
//   their attributes are corrected here until Dash fixes them.
(function () {
    "use strict";
    const NUMBER = new Intl.NumberFormat("en", {maximumFractionDigits: 3});
    const MAX_ROWS = 1000;
    const tableOf = new WeakMap(); // details element -> the _fullData its table was built from

    function setAttr(element, name, value) {
        if (element.getAttribute(name) !== value) { element.setAttribute(name, value); }
    }

    function plainText(html) {
        const text = String(html || "").replace(/<br\s*\/?>/gi, " ").replace(/<[^>]*>/g, "");
        const decoder = document.createElement("textarea");
        decoder.innerHTML = text; // a textarea only decodes entities: it never creates elements
        return decoder.value.replace(/\s+/g, " ").trim();
    }

    function shown(value) {
        return typeof value === "number" ? NUMBER.format(value) : plainText(value);
    }

    function traces(gd) {
        return (gd._fullData || []).filter((t) => t.visible === true || t.visible === undefined);
    }

    function horizontal(trace) { return trace.orientation === "h"; }
    function categories(trace) { return Array.from((horizontal(trace) ? trace.y : trace.x) || []); }
    function values(trace) { return Array.from((horizontal(trace) ? trace.x : trace.y) || []); }

    function seriesNames(list) {
        const seen = {};
        return list.map((t, i) => {
            const base = plainText(t.name) || `Series ${i + 1}`;
            seen[base] = (seen[base] || 0) + 1;
            return seen[base] > 1 ? `${base} (${seen[base]})` : base;
        });
    }

    function axisTitle(gd, trace) {
        const axis = gd._fullLayout[horizontal(trace) ? "yaxis" : "xaxis"];
        return plainText(axis && axis.title && axis.title.text) || (horizontal(trace) ? "Category" : "x");
    }

    function kindOf(list) {
        const kinds = new Set(list.map((t) => t.type === "bar" ? "bar" :
            (t.type === "scatter" && String(t.mode || "").includes("lines")) ? "line" : t.type));
        return Array.from(kinds).join(" and ") + " chart";
    }

    // "Mean quality per month: line chart of 3 series (A, B, C), Dec 2025 to Nov 2026, 12 points."
    function describe(gd) {
        const layout = gd._fullLayout || {};
        const title = plainText(layout.title && layout.title.text) || "Chart";
        const list = traces(gd);
        if (!list.length) {
            const notes = (layout.annotations || []).map((a) => plainText(a.text)).filter(Boolean);
            return `${title}: no data${notes.length ? ". " + notes.join(" ") : ""}.`;
        }
        const named = list.filter((t) => t.showlegend !== false && plainText(t.name));
        const names = seriesNames(named.length ? named : list);
        const cats = categories(list[0]);
        const series = names.length === 1 ? `1 series (${names[0]})` :
            `${names.length} series (${names.slice(0, 6).join(", ")}${names.length > 6 ? ", …" : ""})`;
        const range = cats.length ? `, ${shown(cats[0])} to ${shown(cats[cats.length - 1])}, ${cats.length} points` : "";
        return `${title}: ${kindOf(list)} of ${series}${range}.`;
    }

    function cell(tag, text) {
        const element = document.createElement(tag);
        element.textContent = text;
        if (tag === "th") { element.scope = "col"; }
        return element;
    }

    // One row per category (x, or y for horizontal bars), one column per drawn series.
    function buildTable(gd, holder) {
        const list = traces(gd);
        holder.replaceChildren();
        if (!list.length) { holder.append(cell("p", "No data.")); return; }
        const names = seriesNames(list);
        const rows = new Map();
        list.forEach((trace, column) => {
            const cats = categories(trace), vals = values(trace);
            cats.forEach((category, i) => {
                const key = String(category);
                if (!rows.has(key)) { rows.set(key, {category, values: []}); }
                rows.get(key).values[column] = vals[i];
            });
        });
        const table = document.createElement("table");
        table.className = "table table-sm table-striped small mb-1";
        const caption = cell("caption", describe(gd));
        caption.className = "visually-hidden";
        const head = document.createElement("thead");
        const header = document.createElement("tr");
        header.append(cell("th", axisTitle(gd, list[0])), ...names.map((n) => cell("th", n)));
        head.append(header);
        const body = document.createElement("tbody");
        Array.from(rows.values()).slice(0, MAX_ROWS).forEach((row) => {
            const tr = document.createElement("tr");
            tr.append(cell("td", shown(row.category)),
                ...names.map((_, i) => cell("td", row.values[i] == null ? "" : shown(row.values[i]))));
            body.append(tr);
        });
        table.append(caption, head, body);
        holder.append(table);
        if (rows.size > MAX_ROWS) { holder.append(cell("p", `First ${MAX_ROWS} of ${rows.size} rows.`)); }
    }

    function repairChart(gd) {
        if (!gd._fullData) { return; }
        const container = gd.closest(".dash-graph") || gd.parentElement;
        setAttr(container, "role", "figure");
        setAttr(container, "aria-label", describe(gd));
        const block = gd.closest(".helios-chart");
        const details = block && block.querySelector("details.helios-chart-data");
        if (details && details.open && tableOf.get(details) !== gd._fullData) {
            tableOf.set(details, gd._fullData);
            buildTable(gd, details.querySelector(".helios-chart-table"));
        }
    }

    function labelId(control) {
        const label = document.querySelector(`label[for="${CSS.escape(control.id)}"]`);
        if (!label) { return ""; }
        if (!label.id) { label.id = `${control.id}-label`; }
        return label.id;
    }

    function repairDropdown(field) {
        const button = field.parentElement && field.parentElement.querySelector("button.dash-dropdown[id]");
        field.removeAttribute("aria-hidden"); // it is the dropdown's Tab stop: it must be announced
        if (button) {
            setAttr(field, "aria-labelledby", [labelId(button), button.id].filter(Boolean).join(" "));
            // The button's name then comes from its visible text, as axe's label-in-name asks.
            button.removeAttribute("aria-labelledby");
        }
    }

    function repairDatePicker(wrapper) {
        wrapper.removeAttribute("aria-haspopup"); // not allowed on a div; the fields carry the names
        wrapper.removeAttribute("aria-expanded");
        const ids = (wrapper.getAttribute("aria-labelledby") || "").split(/\s+/).filter((id) => id && id !== "undefined");
        setAttr(wrapper, "role", "group");
        setAttr(wrapper, "aria-labelledby", ids.join(" "));
    }

    function repair() {
        document.querySelectorAll(".modebar-btn:not([tabindex='-1'])").forEach((b) => b.setAttribute("tabindex", "-1"));
        document.querySelectorAll(".js-plotly-plot").forEach(repairChart);
        document.querySelectorAll("input.dash-dropdown-focus-target").forEach(repairDropdown);
        document.querySelectorAll(".dash-datepicker-input-wrapper[aria-expanded], .dash-datepicker-input-wrapper[aria-haspopup]")
            .forEach(repairDatePicker);
        document.querySelectorAll(".dash-datepicker-clear:not([role])").forEach((clear) => {
            clear.setAttribute("role", "button");
            clear.setAttribute("tabindex", "0");
        });
    }

    let scheduled = false;
    function schedule() {
        if (!scheduled) {
            scheduled = true;
            requestAnimationFrame(() => { scheduled = false; repair(); });
        }
    }

    new MutationObserver(schedule).observe(document.documentElement, {
        childList: true, subtree: true, attributes: true,
        attributeFilter: ["aria-hidden", "aria-labelledby", "aria-expanded", "aria-haspopup", "tabindex"],
    });
    document.addEventListener("DOMContentLoaded", schedule);

    // A table is built when its toggle opens (and rebuilt above when the chart changes).
    document.addEventListener("toggle", (event) => {
        const details = event.target;
        if (details instanceof HTMLDetailsElement && details.classList.contains("helios-chart-data") && details.open) {
            tableOf.delete(details);
            const gd = details.closest(".helios-chart").querySelector(".js-plotly-plot");
            if (gd) { repairChart(gd); }
        }
    }, true);

    document.addEventListener("click", (event) => {
        const button = event.target instanceof Element && event.target.closest(".helios-copy-link");
        const icon = button && button.firstElementChild;
        if (icon && !icon.contains(event.target)) { icon.click(); }
    });

    document.addEventListener("keydown", (event) => {
        const clear = event.target instanceof Element && event.target.closest(".dash-datepicker-clear");
        if (clear && (event.key === "Enter" || event.key === " ")) {
            event.preventDefault();
            clear.click();
        }
    });
}());
