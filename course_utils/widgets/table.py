"""The explorer's results table as HTML (the browser draws the same table live)."""
from __future__ import annotations

import html

from course_utils.style import color_for


def results_table_html(trajectories: dict, landscape, tol: float) -> str:
    """Final loss, steps until loss - minimum stays below tol, and divergence."""
    floor = landscape.minimum_value
    tol_head = f"steps to &lt; {tol:g}" if floor is not None else "steps to tol"
    rows = []
    for name, traj in trajectories.items():
        k = int(traj.diverged_at)
        if k >= 0:
            final, reached, status = "&mdash;", "&mdash;", f"<b>step {k}</b>"
        else:
            final = f"{float(traj.final_loss) - (floor or 0.0):.3g}"
            if floor is None:
                reached = "n/a"
            else:
                s = int(traj.steps_to(tol, target=floor))
                reached = str(s) if s >= 0 else "not reached"
            status = "never"
        swatch = (f'<span style="display:inline-block;width:0.9em;height:0.9em;'
                  f'background:{color_for(name)};margin-right:0.4em;border:1px solid #333"></span>')
        rows.append(f"<tr><td style='text-align:left'>{swatch}{html.escape(name)}</td>"
                    f"<td>{final}</td><td>{reached}</td><td>{status}</td></tr>")
    loss_head = "loss &minus; min" if floor is not None else "final loss"
    head = (f"<tr><th style='text-align:left'>optimizer</th><th>{loss_head}</th>"
            f"<th>{tol_head}</th><th>diverged at</th></tr>")
    return ("<table class='cu-results' style='border-collapse:collapse;text-align:right'>"
            f"<thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>")
