// Block Kit, drawn as Slack draws it, close enough to try Billbot. Anything unknown shows a visible placeholder.
// The renderer keeps each surface's state as Slack's view.state.values ({block_id: {action_id: {type, ...}}})
// and calls ctx.act(action) when an element dispatches, ctx.suggest(...) for external selects.
"use strict";

const BK = (() => {
  const EMOJI = {
    white_check_mark: "✅", heavy_check_mark: "✔️", x: "❌", warning: "⚠️", moneybag: "💰", money_with_wings: "💸",
    hourglass: "⌛", hourglass_flowing_sand: "⏳", calendar: "📅", email: "📧", bell: "🔔", tada: "🎉",
    receipt: "🧾", page_facing_up: "📄", link: "🔗", credit_card: "💳", bank: "🏦", lock: "🔒", wave: "👋",
    bulb: "💡", question: "❓", speech_balloon: "💬", sparkles: "✨", gear: "⚙️", memo: "📝", art: "🎨",
    large_green_circle: "🟢", red_circle: "🔴", large_yellow_circle: "🟡", white_circle: "⚪", new: "🆕",
    arrow_right: "➡️", mag: "🔍", busts_in_silhouette: "👥", bust_in_silhouette: "👤", clipboard: "📋",
    heavy_plus_sign: "➕", pencil2: "✏️", wastebasket: "🗑️", rotating_light: "🚨", thumbsup: "👍", "+1": "👍",
    no_entry: "⛔", information_source: "ℹ️", chart_with_upwards_trend: "📈", inbox_tray: "📥", outbox_tray: "📤",
    euro: "💶", dollar: "💵", pound: "💷", yen: "💴", stopwatch: "⏱️", alarm_clock: "⏰", raised_hands: "🙌",
    white_large_square: "⬜", construction: "🚧", frame_with_picture: "🖼️", no_bell: "🔕", zzz: "💤",
  };

  function esc(text) {
    return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }

  function emoji(html) {
    return html.replace(/:([a-z0-9_+\-]+):/g, (whole, name) => EMOJI[name] || whole);
  }

  // Slack's mrkdwn: links, mentions, *bold*, _italic_, ~strike~, `code`, ```pre```, > quotes.
  function mrkdwn(text, env) {
    const tokens = [];
    const keep = (html) => { tokens.push(html); return `\u0000${tokens.length - 1}\u0000`; };
    let s = String(text ?? "");
    s = s.replace(/```([\s\S]*?)```/g, (_, code) => keep(`<pre>${esc(code)}</pre>`));
    s = s.replace(/`([^`\n]+)`/g, (_, code) => keep(`<code>${esc(code)}</code>`));
    s = s.replace(/<([^<>\n]+)>/g, (_, inner) => {
      const [target, label] = inner.split("|");
      if (target.startsWith("@")) {
        const id = target.slice(1);
        return keep(`<span class="mention">@${esc(label || (env && env.userName(id)) || id)}</span>`);
      }
      if (target.startsWith("#")) {
        const id = target.slice(1);
        return keep(`<span class="mention">#${esc(label || (env && env.channelName(id)) || id)}</span>`);
      }
      if (target.startsWith("!")) {
        const name = target.slice(1).split("^")[0];
        return keep(`<span class="mention">@${esc(label || name)}</span>`);
      }
      if (/^(https?:|mailto:)/.test(target)) {
        return keep(`<a href="${esc(target)}" target="_blank" rel="noopener">${esc(label || target)}</a>`);
      }
      return keep(esc(`<${inner}>`));
    });
    // Slack links bare addresses too.
    s = s.replace(/https?:\/\/[^\s<>|\u0000]+/g, (url) => keep(`<a href="${esc(url)}" target="_blank" rel="noopener">${esc(url)}</a>`));
    s = esc(s).replace(/&amp;(lt|gt|amp);/g, "&$1;");
    s = s.replace(/(^|[\s(])\*([^*\n]+)\*(?=$|[\s).,:;!?])/g, "$1<b>$2</b>");
    s = s.replace(/(^|[\s(])_([^_\n]+)_(?=$|[\s).,:;!?])/g, "$1<i>$2</i>");
    s = s.replace(/(^|[\s(])~([^~\n]+)~(?=$|[\s).,:;!?])/g, "$1<s>$2</s>");
    s = s.split("\n").map((line) => (line.startsWith("&gt; ") ? `<blockquote>${line.slice(5)}</blockquote>` : line)).join("\n");
    s = s.replace(/\n/g, "<br>").replace(/<\/blockquote><br>/g, "</blockquote>");
    s = s.replace(/\u0000(\d+)\u0000/g, (_, i) => tokens[Number(i)]);
    return emoji(s);
  }

  function textHtml(obj, env) {
    if (!obj) return "";
    if (typeof obj === "string") return esc(obj);
    if (obj.type === "mrkdwn") return mrkdwn(obj.text, env);
    return emoji(esc(obj.text));
  }

  function plainText(obj) {
    return obj ? String(obj.text ?? "") : "";
  }

  function el(tag, attrs = {}, html = "") {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") node.className = v; else node.setAttribute(k, v === true ? "" : v);
    }
    if (html) node.innerHTML = html;
    return node;
  }

  function placeholder(kind) {
    return el("div", { class: "bk-unsupported", "data-unsupported": kind },
      `⚠ ${esc(BK.words.unsupported || "Cannot show this here")}: <code>${esc(kind)}</code>`);
  }

  // ---- state: what Slack would put in view.state.values for an element ----------------------------------------

  const STATEFUL = new Set([
    "plain_text_input", "number_input", "email_text_input", "url_text_input", "static_select", "external_select",
    "users_select", "conversations_select", "channels_select", "multi_static_select", "multi_external_select",
    "multi_users_select", "multi_conversations_select", "multi_channels_select", "datepicker", "timepicker",
    "datetimepicker", "checkboxes", "radio_buttons", "file_input", "rich_text_input",
  ]);

  function initialValue(element) {
    const type = element.type;
    const v = { type };
    switch (type) {
      case "plain_text_input": case "number_input": case "email_text_input": case "url_text_input":
        v.value = element.initial_value ?? null; break;
      case "static_select": case "external_select": case "radio_buttons":
        v.selected_option = element.initial_option ?? null; break;
      case "multi_static_select": case "multi_external_select": case "checkboxes":
        v.selected_options = element.initial_options ?? []; break;
      case "users_select": v.selected_user = element.initial_user ?? null; break;
      case "multi_users_select": v.selected_users = element.initial_users ?? []; break;
      case "conversations_select": v.selected_conversation = element.initial_conversation ?? null; break;
      case "multi_conversations_select": v.selected_conversations = element.initial_conversations ?? []; break;
      case "channels_select": v.selected_channel = element.initial_channel ?? null; break;
      case "multi_channels_select": v.selected_channels = element.initial_channels ?? []; break;
      case "datepicker": v.selected_date = element.initial_date ?? null; break;
      case "timepicker": v.selected_time = element.initial_time ?? null; break;
      case "datetimepicker": v.selected_date_time = element.initial_date_time ?? null; break;
      case "file_input": v.files = []; break;
      case "rich_text_input": v.rich_text_value = element.initial_value ?? null; break;
    }
    return v;
  }

  function stateful(blocks) {
    const found = [];
    for (const block of blocks || []) {
      const elements = [];
      if (block.type === "input" && block.element) elements.push(block.element);
      if (block.accessory) elements.push(block.accessory);
      if (block.type === "actions") elements.push(...(block.elements || []));
      for (const element of elements) {
        if (STATEFUL.has(element.type) && element.action_id) found.push([block.block_id, element]);
      }
    }
    return found;
  }

  // Slack keeps what the member entered when a view is updated with the same block_id and action_id.
  function reconcile(blocks, previous) {
    const values = {};
    for (const [blockId, element] of stateful(blocks)) {
      const kept = previous && previous[blockId] && previous[blockId][element.action_id];
      values[blockId] = values[blockId] || {};
      values[blockId][element.action_id] = kept && kept.type === element.type ? kept : initialValue(element);
    }
    return values;
  }

  // ---- elements -----------------------------------------------------------------------------------------------

  function setValue(ctx, blockId, element, patch) {
    ctx.values[blockId] = ctx.values[blockId] || {};
    const current = ctx.values[blockId][element.action_id] || initialValue(element);
    ctx.values[blockId][element.action_id] = Object.assign({}, current, patch);
    return ctx.values[blockId][element.action_id];
  }

  function getValue(ctx, blockId, element) {
    return (ctx.values[blockId] && ctx.values[blockId][element.action_id]) || initialValue(element);
  }

  function dispatch(ctx, blockId, element, extra) {
    const action = Object.assign({ type: element.type, action_id: element.action_id, block_id: blockId }, extra);
    if (element.placeholder) action.placeholder = element.placeholder;
    ctx.act(action);
  }

  function withConfirm(element, go) {
    if (!element.confirm) return go();
    BK.confirm(element.confirm, go);
  }

  function optionLabel(option) {
    return option ? plainText(option.text) : "";
  }

  function allOptions(element) {
    const list = [...(element.options || [])];
    for (const group of element.option_groups || []) list.push(...(group.options || []));
    return list;
  }

  function button(element, blockId, ctx) {
    const node = el("button", {
      class: `bk-button ${element.style ? "bk-" + element.style : ""}`, "data-action-id": element.action_id,
      "data-block-id": blockId, type: "button",
    }, textHtml(element.text));
    node.addEventListener("click", () => withConfirm(element, () => {
      if (element.url) window.open(element.url, "_blank", "noopener");
      const extra = { text: element.text };
      if (element.value !== undefined) extra.value = element.value;
      if (element.style) extra.style = element.style;
      dispatch(ctx, blockId, element, extra);
    }));
    return node;
  }

  function staticSelect(element, blockId, ctx, dispatches) {
    const multi = element.type.startsWith("multi_");
    const node = el("select", { class: "bk-select", "data-action-id": element.action_id, "data-block-id": blockId, multiple: multi });
    if (!multi) node.appendChild(el("option", { value: "" }, esc(plainText(element.placeholder) || BK.words.choose || "Choose")));
    const addOption = (parent, option) => parent.appendChild(el("option", { value: option.value }, esc(optionLabel(option))));
    for (const option of element.options || []) addOption(node, option);
    for (const group of element.option_groups || []) {
      const og = el("optgroup", { label: plainText(group.label) });
      for (const option of group.options || []) addOption(og, option);
      node.appendChild(og);
    }
    const current = getValue(ctx, blockId, element);
    const chosen = multi ? (current.selected_options || []).map((o) => o.value) : [current.selected_option && current.selected_option.value];
    for (const opt of node.options) opt.selected = chosen.includes(opt.value) && opt.value !== "";
    node.addEventListener("change", () => {
      const options = allOptions(element);
      const picked = [...node.selectedOptions].map((o) => options.find((x) => x.value === o.value)).filter(Boolean);
      const patch = multi ? { selected_options: picked } : { selected_option: picked[0] || null };
      setValue(ctx, blockId, element, patch);
      if (dispatches) dispatch(ctx, blockId, element, patch);
    });
    return node;
  }

  function externalSelect(element, blockId, ctx, dispatches) {
    const multi = element.type.startsWith("multi_");
    const wrap = el("div", { class: "bk-external", "data-action-id": element.action_id, "data-block-id": blockId });
    const chips = el("div", { class: "bk-chips" });
    const input = el("input", { class: "bk-input", type: "text", placeholder: plainText(element.placeholder) || BK.words.type_to_search || "" });
    const list = el("div", { class: "bk-suggestions" });
    wrap.append(chips, input, list);
    const minLength = element.min_query_length ?? 3;
    const showChosen = () => {
      const v = getValue(ctx, blockId, element);
      const chosen = multi ? v.selected_options || [] : v.selected_option ? [v.selected_option] : [];
      chips.innerHTML = "";
      for (const option of chosen) chips.appendChild(el("span", { class: "bk-chip" }, esc(optionLabel(option))));
    };
    showChosen();
    let timer = null;
    let seq = 0;
    const ask = () => {
      const query = input.value;
      if (query.length < minLength) { list.innerHTML = ""; return; }
      const mine = ++seq;
      ctx.suggest(element.action_id, blockId, query).then((answer) => {
        if (mine !== seq) return;
        list.innerHTML = "";
        const groups = answer.option_groups || [{ options: answer.options || [] }];
        let count = 0;
        for (const group of groups) {
          if (group.label) list.appendChild(el("div", { class: "bk-group" }, esc(plainText(group.label))));
          for (const option of group.options || []) {
            count += 1;
            const item = el("div", { class: "bk-suggestion", "data-value": option.value }, esc(optionLabel(option)));
            item.addEventListener("mousedown", (event) => {
              event.preventDefault();
              const v = getValue(ctx, blockId, element);
              const patch = multi ? { selected_options: [...(v.selected_options || []), option] } : { selected_option: option };
              setValue(ctx, blockId, element, patch);
              input.value = ""; list.innerHTML = ""; showChosen();
              if (dispatches) dispatch(ctx, blockId, element, patch);
            });
            list.appendChild(item);
          }
        }
        if (!count) list.appendChild(el("div", { class: "bk-group" }, esc(BK.words.no_options || "No matches")));
      });
    };
    input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(ask, 200); });
    input.addEventListener("focus", () => { if (minLength === 0) ask(); });
    input.addEventListener("blur", () => setTimeout(() => { list.innerHTML = ""; }, 150));
    return wrap;
  }

  function pickerSelect(element, blockId, ctx, dispatches) {
    // users_select / conversations_select / channels_select, and their multi_ forms, from the workspace.
    const multi = element.type.startsWith("multi_");
    const kind = element.type.replace("multi_", "").replace("_select", "");
    const key = { users: "user", conversations: "conversation", channels: "channel" }[kind];
    const field = multi ? `selected_${key}s` : `selected_${key}`;
    const choices = kind === "users" ? ctx.env.users() : ctx.env.channels(kind === "conversations" ? element.filter : { include: ["public"] });
    const node = el("select", { class: "bk-select", "data-action-id": element.action_id, "data-block-id": blockId, multiple: multi });
    if (!multi) node.appendChild(el("option", { value: "" }, esc(plainText(element.placeholder) || BK.words.choose || "Choose")));
    for (const [id, label] of choices) node.appendChild(el("option", { value: id }, esc(label)));
    const current = getValue(ctx, blockId, element)[field];
    const chosen = multi ? current || [] : [current];
    for (const opt of node.options) opt.selected = chosen.includes(opt.value) && opt.value !== "";
    node.addEventListener("change", () => {
      const picked = [...node.selectedOptions].map((o) => o.value).filter(Boolean);
      const patch = { [field]: multi ? picked : picked[0] || null };
      setValue(ctx, blockId, element, patch);
      if (dispatches) dispatch(ctx, blockId, element, patch);
    });
    return node;
  }

  function textInput(element, blockId, ctx, dispatches) {
    const type = { number_input: "number", email_text_input: "email", url_text_input: "url" }[element.type] || "text";
    const multiline = element.multiline && element.type === "plain_text_input";
    const node = el(multiline ? "textarea" : "input", {
      class: "bk-input", type: multiline ? undefined : type, "data-action-id": element.action_id, "data-block-id": blockId,
      placeholder: plainText(element.placeholder), maxlength: element.max_length, step: type === "number" ? (element.is_decimal_allowed ? "any" : "1") : undefined,
      min: element.min_value, max: element.max_value, rows: multiline ? 4 : undefined,
    });
    const v = getValue(ctx, blockId, element);
    node.value = v.value ?? "";
    const triggers = (element.dispatch_action_config && element.dispatch_action_config.trigger_actions_on) || ["on_enter_pressed"];
    node.addEventListener("input", () => {
      setValue(ctx, blockId, element, { value: node.value === "" ? null : node.value });
      if (dispatches && triggers.includes("on_character_entered")) {
        clearTimeout(node._timer);
        node._timer = setTimeout(() => dispatch(ctx, blockId, element, { value: node.value }), 400);
      }
    });
    node.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !multiline && dispatches && triggers.includes("on_enter_pressed")) {
        event.preventDefault();
        dispatch(ctx, blockId, element, { value: node.value });
      }
    });
    return node;
  }

  function dateInput(element, blockId, ctx, dispatches) {
    const kind = { datepicker: ["date", "selected_date"], timepicker: ["time", "selected_time"] }[element.type];
    const node = el("input", { class: "bk-input bk-date", type: kind[0], "data-action-id": element.action_id, "data-block-id": blockId });
    node.value = getValue(ctx, blockId, element)[kind[1]] ?? "";
    node.addEventListener("change", () => {
      const patch = { [kind[1]]: node.value || null };
      setValue(ctx, blockId, element, patch);
      if (dispatches) dispatch(ctx, blockId, element, patch);
    });
    return node;
  }

  function choices(element, blockId, ctx, dispatches) {
    const multi = element.type === "checkboxes";
    const wrap = el("div", { class: "bk-choices", "data-action-id": element.action_id, "data-block-id": blockId });
    const name = `${blockId}.${element.action_id}.${Math.random().toString(36).slice(2)}`;
    const v = getValue(ctx, blockId, element);
    const chosen = multi ? (v.selected_options || []).map((o) => o.value) : [v.selected_option && v.selected_option.value];
    for (const option of element.options || []) {
      const label = el("label", { class: "bk-choice" });
      const box = el("input", { type: multi ? "checkbox" : "radio", name, value: option.value });
      box.checked = chosen.includes(option.value);
      label.append(box, el("span", {}, textHtml(option.text, ctx.env)));
      if (option.description) label.appendChild(el("div", { class: "bk-hint" }, textHtml(option.description, ctx.env)));
      box.addEventListener("change", () => {
        const picked = [...wrap.querySelectorAll("input:checked")].map((b) => element.options.find((o) => o.value === b.value));
        const patch = multi ? { selected_options: picked } : { selected_option: picked[0] || null };
        setValue(ctx, blockId, element, patch);
        if (dispatches) dispatch(ctx, blockId, element, patch);
      });
      wrap.appendChild(label);
    }
    return wrap;
  }

  function overflow(element, blockId, ctx) {
    const node = el("select", { class: "bk-overflow", "data-action-id": element.action_id, "data-block-id": blockId });
    node.appendChild(el("option", { value: "" }, "⋯"));
    for (const option of element.options || []) node.appendChild(el("option", { value: option.value }, esc(optionLabel(option))));
    node.addEventListener("change", () => {
      const option = (element.options || []).find((o) => o.value === node.value);
      node.value = "";
      if (!option) return;
      withConfirm(element, () => {
        if (option.url) window.open(option.url, "_blank", "noopener");
        dispatch(ctx, blockId, element, { selected_option: option });
      });
    });
    return node;
  }

  function fileInput(element, blockId, ctx) {
    const wrap = el("div", { class: "bk-file", "data-action-id": element.action_id, "data-block-id": blockId });
    const accept = (element.filetypes || []).map((t) => "." + t).join(",");
    const input = el("input", { type: "file", accept: accept || undefined, multiple: (element.max_files || 1) > 1 });
    const list = el("div", { class: "bk-chips" });
    const show = () => {
      list.innerHTML = "";
      for (const file of getValue(ctx, blockId, element).files || []) list.appendChild(el("span", { class: "bk-chip" }, "📎 " + esc(file.name)));
    };
    show();
    input.addEventListener("change", async () => {
      const uploaded = [];
      for (const file of [...input.files].slice(0, element.max_files || 1)) uploaded.push(await ctx.upload(file));
      setValue(ctx, blockId, element, { files: uploaded.filter(Boolean) });
      show();
    });
    wrap.append(input, list);
    return wrap;
  }

  function image(element, small) {
    const url = element.image_url || (element.slack_file && element.slack_file.url) || "";
    return el("img", { class: small ? "bk-image-small" : "bk-image", src: url, alt: element.alt_text || "" });
  }

  // dispatches: whether a change tells the app at once (actions blocks, accessories, dispatch_action inputs).
  function element(element, blockId, ctx, dispatches) {
    switch (element.type) {
      case "button": return button(element, blockId, ctx);
      case "static_select": case "multi_static_select": return staticSelect(element, blockId, ctx, dispatches);
      case "external_select": case "multi_external_select": return externalSelect(element, blockId, ctx, dispatches);
      case "users_select": case "multi_users_select": case "conversations_select": case "multi_conversations_select":
      case "channels_select": case "multi_channels_select":
        return pickerSelect(element, blockId, ctx, dispatches);
      case "plain_text_input": case "number_input": case "email_text_input": case "url_text_input":
        return textInput(element, blockId, ctx, dispatches);
      case "datepicker": case "timepicker": return dateInput(element, blockId, ctx, dispatches);
      case "checkboxes": case "radio_buttons": return choices(element, blockId, ctx, dispatches);
      case "overflow": return overflow(element, blockId, ctx);
      case "file_input": return fileInput(element, blockId, ctx);
      case "image": return image(element, true);
      default: return placeholder(element.type);
    }
  }

  // ---- blocks -------------------------------------------------------------------------------------------------

  function richText(block, env) {
    const inline = (items) => (items || []).map((item) => {
      let html;
      switch (item.type) {
        case "text": html = esc(item.text).replace(/\n/g, "<br>"); break;
        case "link": html = `<a href="${esc(item.url)}" target="_blank" rel="noopener">${esc(item.text || item.url)}</a>`; break;
        case "user": html = `<span class="mention">@${esc(env.userName(item.user_id))}</span>`; break;
        case "channel": html = `<span class="mention">#${esc(env.channelName(item.channel_id))}</span>`; break;
        case "emoji": html = EMOJI[item.name] || `:${esc(item.name)}:`; break;
        default: html = `<span class="bk-unsupported">${esc(item.type)}</span>`;
      }
      const style = item.style || {};
      if (style.bold) html = `<b>${html}</b>`;
      if (style.italic) html = `<i>${html}</i>`;
      if (style.strike) html = `<s>${html}</s>`;
      if (style.code) html = `<code>${html}</code>`;
      return html;
    }).join("");
    const part = (section) => {
      switch (section.type) {
        case "rich_text_section": return `<div>${inline(section.elements)}</div>`;
        case "rich_text_preformatted": return `<pre>${inline(section.elements)}</pre>`;
        case "rich_text_quote": return `<blockquote>${inline(section.elements)}</blockquote>`;
        case "rich_text_list": {
          const tag = section.style === "ordered" ? "ol" : "ul";
          return `<${tag}>${(section.elements || []).map((s) => `<li>${inline(s.elements)}</li>`).join("")}</${tag}>`;
        }
        default: return `<div class="bk-unsupported">${esc(section.type)}</div>`;
      }
    };
    return el("div", { class: "bk-rich" }, (block.elements || []).map(part).join(""));
  }

  function block(block, ctx) {
    const id = block.block_id;
    const env = ctx.env;
    let node;
    switch (block.type) {
      case "section": {
        node = el("div", { class: "bk-section" });
        const body = el("div", { class: "bk-section-body" });
        if (block.text) body.appendChild(el("div", { class: "bk-text" }, textHtml(block.text, env)));
        if (block.fields) {
          const fields = el("div", { class: "bk-fields" });
          for (const field of block.fields) fields.appendChild(el("div", {}, textHtml(field, env)));
          body.appendChild(fields);
        }
        node.appendChild(body);
        if (block.accessory) {
          const acc = el("div", { class: "bk-accessory" });
          acc.appendChild(block.accessory.type === "image" ? image(block.accessory, false) : element(block.accessory, id, ctx, true));
          node.appendChild(acc);
        }
        break;
      }
      case "header": node = el("h3", { class: "bk-header" }, textHtml(block.text, env)); break;
      case "divider": node = el("hr", { class: "bk-divider" }); break;
      case "context": {
        node = el("div", { class: "bk-context" });
        for (const item of block.elements || []) {
          node.appendChild(item.type === "image" ? image(item, true) : el("span", {}, textHtml(item, env)));
        }
        break;
      }
      case "actions": {
        node = el("div", { class: "bk-actions" });
        for (const item of block.elements || []) node.appendChild(element(item, id, ctx, true));
        break;
      }
      case "input": {
        node = el("div", { class: "bk-input-block" });
        const label = el("label", { class: "bk-label" }, textHtml(block.label, env));
        // Slack writes this word itself, in the viewer's Slack language.
        if (block.optional) label.appendChild(el("span", { class: "bk-optional" }, " " + esc(BK.words.optional || "(optional)")));
        node.appendChild(label);
        node.appendChild(block.element ? element(block.element, id, ctx, !!block.dispatch_action) : placeholder("input without element"));
        if (block.hint) node.appendChild(el("div", { class: "bk-hint" }, textHtml(block.hint, env)));
        const error = ctx.errors && ctx.errors[id];
        if (error) node.appendChild(el("div", { class: "bk-error", "data-error-for": id }, esc(error)));
        break;
      }
      case "image": {
        node = el("figure", { class: "bk-figure" });
        if (block.title) node.appendChild(el("figcaption", {}, textHtml(block.title, env)));
        node.appendChild(image(block, false));
        break;
      }
      case "rich_text": node = richText(block, env); break;
      default: node = placeholder(block.type);
    }
    node.setAttribute("data-block-type", block.type);
    if (id) node.setAttribute("data-block-id", id);
    return node;
  }

  function render(blocks, ctx) {
    const frag = document.createDocumentFragment();
    for (const b of blocks || []) frag.appendChild(block(b, ctx));
    return frag;
  }

  // words and locale: the viewing member's (the page sets them from /api/state), for what Slack writes itself.
  return { render, reconcile, mrkdwn, textHtml, plainText, esc, el, words: {}, locale: "en-US", confirm: (_, go) => go() };
})();
