// The cut review panel: the frames either side of the selected cut with their scores, and
// buttons to nudge, go to or remove it. Mixed into the Editor.

import * as S from "../state.js";
import { fill, h } from "../dom.js";
import { formatTimecode } from "../timecode.js";

export const review = {
  async renderReview() {
    const s = this.state, el = this.el.review;
    const cut = s.selectedCut;
    if (cut == null) {
      fill(el, h("h3", {}, "Cut"), h("p", { class: "muted" }, "Click a cut marker to see the frames on either side, with their scores. C adds a cut at the playhead."));
      return;
    }
    const token = ++this.reviewToken;
    const score = (f) => (this.frameScores?.[f] ?? 0).toFixed(1);
    const body = h("div", { class: "pair" },
      h("figure", {}, h("img", { id: "review-before", alt: `frame ${cut - 1}` }), h("figcaption", {}, `last before · frame ${cut - 1} · score ${score(cut - 1)}`)),
      h("figure", {}, h("img", { id: "review-after", alt: `frame ${cut}` }), h("figcaption", {}, `first after · frame ${cut} · score ${score(cut)}`)));
    fill(el, h("h3", {}, `Cut at frame ${cut} · ${formatTimecode(cut, this.rate)}`), body,
      h("div", { class: "row" },
        h("button", { title: "Move the cut one frame earlier (,)", onclick: () => this.nudgeSelectedCut(-1) }, "◀ 1"),
        h("button", { title: "Move the cut one frame later (.)", onclick: () => this.nudgeSelectedCut(1) }, "1 ▶"),
        h("button", { onclick: () => this.commit(S.setPlayhead(this.state, cut), { follow: true }) }, "Go to"),
        h("button", { class: "danger", title: "Remove this cut, merging its scenes (Delete)", onclick: () => this.deleteSelected() }, "Remove")));
    try {
      const r = await this.bridge.call("frame.around_cut", { session_id: this.sessionId, cut });
      if (token !== this.reviewToken) return;
      el.querySelector("#review-before").src = r.before_url;
      el.querySelector("#review-after").src = r.after_url;
      const caps = el.querySelectorAll("figcaption");
      caps[0].textContent = `last before · frame ${cut - 1} · score ${Number(r.before_score).toFixed(1)}`;
      caps[1].textContent = `first after · frame ${cut} · score ${Number(r.after_score).toFixed(1)}`;
    } catch (err) {
      if (token === this.reviewToken) el.append(h("p", { class: "muted" }, `Frames unavailable: ${err.message}`));
    }
  },
};
