"""User-facing words in Chinese and English, in one catalogue.

`say(key, **fields)` renders a message in the session language (env `PEAKEND_LANG`,
`zh` or `en`, default `en`); `both(key, **fields)` returns both renderings.
"""

from __future__ import annotations

import os
import re
import string
from typing import Literal

Lang = Literal["zh", "en"]

MESSAGES: dict[str, dict[Lang, str]] = {
    "setup_code": {"en": "this store has no users yet: open http://{host}:{port}/setup and enter the setup code {code} "
                          "to create the first admin", "zh": "此存储还没有用户：打开 http://{host}:{port}/setup，输入设置码 {code} "
                                                            "创建第一个管理员"},
    "setup_code_kept": {"en": "this store has no users yet: open http://{host}:{port}/setup and enter the setup code "
                                "`peakend setup-code` printed (run it again for a new one)",
                        "zh": "此存储还没有用户：打开 http://{host}:{port}/setup，输入 `peakend setup-code` 给出的设置码"
                              "（再运行一次可得到新的设置码）"},
    "setup_code_fresh": {"en": "the new setup code is {code} (the earlier one no longer works; wrong guesses forgiven)",
                         "zh": "新的设置码是 {code}（之前的设置码已失效；错误尝试记录已清除）"},
    "setup_code_none": {"en": "this store already has users: sign in, or ask an admin (peakend user add)",
                        "zh": "此存储已有用户：请登录，或请管理员添加（peakend user add）"},
    "request_too_long": {"en": "this request ran past its {seconds:g} s deadline and was stopped: a file this large or wide "
                       "is read by `peakend ingest` (or split it); try again in a moment",
                 "zh": "此请求超过 {seconds:g} 秒时限，已停止：这样大或这样宽的文件请用 `peakend ingest` 读取（或拆分）；"
                       "请稍后重试"},
    "hall_named": {"en": "hall {hall} named {zh} / {en}", "zh": "营业厅 {hall} 已命名为 {zh} / {en}"},
    "staff_named": {"en": "staff member {hall} named {zh} / {en}", "zh": "员工 {hall} 已命名为 {zh} / {en}"},
    "pdf_no_chromium": {"en": "no Chromium to print the PDF with (looked for {value}); install Debian's chromium or "
                               "set PEAKEND_CHROMIUM", "zh": "没有可用于打印 PDF 的 Chromium（查找了 {value}）；请安装 Debian 的 "
                                                          "chromium 或设置 PEAKEND_CHROMIUM"},
    "pdf_failed": {"en": "Chromium could not print the PDF: {value}", "zh": "Chromium 无法打印 PDF：{value}"},
    "pdf_written": {"en": "PDF written to {value}", "zh": "PDF 已写入 {value}"},
    "digest_none": {"en": "no manager has scored visits in their halls: no digest", "zh": "没有经理的营业厅有已评分的来访：无周报"},
    "digest_sent": {"en": "{sent} digest(s) sent by e-mail ({host}:{port}); {without} manager(s) without an e-mail",
                    "zh": "已通过邮件发送 {sent} 份周报（{host}:{port}）；{without} 位经理没有邮箱"},
    "digest_written": {"en": "{count} digest(s) written to {folder}", "zh": "{count} 份周报已写入 {folder}"},
    "digest_smtp": {"en": "the SMTP server {host}:{port} did not take the digests: {value}",
                    "zh": "SMTP 服务器 {host}:{port} 未接收周报：{value}"},
    "staff_title": {"en": "staff scorecards: mean e shrunk toward the hall's mean (empirical Bayes, 95% interval); "
                          "ranked with at least {least} touches",
                    "zh": "员工记分卡：平均体验值向本厅均值收缩（经验贝叶斯，95% 区间）；至少 {least} 个触点才参与排名"},
    "staff_written": {"en": "scorecards written to {path}", "zh": "记分卡已写入 {path}"},
    "coaching_saved": {"en": "coaching recorded: {id}", "zh": "已记录培训：{id}"},
    "coaching_none": {"en": "no coaching recorded yet (`peakend train assign`)",
                      "zh": "还没有培训记录（`peakend train assign`）"},
    "coaching_title": {"en": "coaching: the trained person's e at the module's moments, before vs after, against "
                             "untrained colleagues (difference in differences)",
                       "zh": "培训效果：受训者在模块相关时刻的体验值前后变化，对照未受训同事（双重差分）"},
    # loyalty
    "loyalty_working": {"en": "reading loyalty: index, NPS, returns, models, key drivers…",
                        "zh": "正在分析忠诚度：指数、NPS、回访、模型、关键驱动因素……"},
    "loyalty_written": {"en": "{tables} loyalty tables written to {folder}", "zh": "{tables} 张忠诚度表已写入 {folder}"},
    "loyalty_window": {"en": "the data cover too few days for a {asked}-day return window to close: returns are read "
                             "within {days} days (half the span covered)",
                       "zh": "数据覆盖的天数不足以让 {asked} 天的回访窗口结束：按 {days} 天内回访计算（覆盖时长的一半）"},
    "loyalty_halls": {"en": "loyalty per hall (* = all): index 0–100 and NPS with 95% intervals; known customers "
                            "back within {days} days (Kaplan–Meier) and regulars who lapsed",
                      "zh": "各厅忠诚度（* = 全部）：忠诚度指数 0–100 与 NPS（95% 区间）；已知客户 {days} 天内回访比例"
                            "（Kaplan–Meier）与流失的常客"},
    "loyalty_models": {"en": "satisfaction → loyalty: odds ratio per 10 points of each score (adjusted for hall and "
                             "segment; returned = back within {days} days), cross-validated AUC",
                       "zh": "满意 → 忠诚：各分数每高 10 分的优势比（按厅与客群调整；回访 = {days} 天内再来），交叉验证 AUC"},
    "loyalty_drivers": {"en": "key drivers of {target}: each moment's share of the explained variance (Shapley R², "
                              "95% bootstrap interval) against its performance (mean e)",
                        "zh": "{target} 的关键驱动因素：各触点在解释方差中的份额（Shapley R²，95% 自助区间）与表现（平均 e）"},
    "loyalty_effect": {"en": "visits that {kind} at {moment} {outcome} {pct:.0f}% {way} often ({bad:.0%} vs "
                             "{rest:.0%}; 95% interval {low:+.0f}% to {high:+.0f}%; {n_bad} vs {n_rest} visits)",
                       "zh": "{kind}在「{moment}」的来访，{outcome}的比例{way} {pct:.0f}%（{bad:.0%} 对 {rest:.0%}；"
                             "95% 区间 {low:+.0f}% 至 {high:+.0f}%；{n_bad} 对 {n_rest} 次来访）"},
    "loyalty_no_effect": {"en": "visits that {kind} at {moment}: no detectable effect on whether they {outcome} "
                                "(95% interval {low:+.0f}% to {high:+.0f}%; {n_bad} vs {n_rest} visits)",
                          "zh": "{kind}在「{moment}」的来访：对{outcome}没有可检测的影响（95% 区间 {low:+.0f}% 至 "
                                "{high:+.0f}%；{n_bad} 对 {n_rest} 次来访）"},
    # simulation and planning
    "sim_summary": {
        "en": "simulated {visits} visits ({touches} touches) over {days} day(s): mean wait {wait:.1f} min, "
              "90th percentile {p90:.1f} min, {abandoned:.1%} left the queue, predicted REI {rei:.1f}",
        "zh": "模拟 {days} 天共 {visits} 次到厅（{touches} 个触点）：平均等候 {wait:.1f} 分钟，"
              "90 分位 {p90:.1f} 分钟，{abandoned:.1%} 中途离队，预测记忆体验指数 {rei:.1f}",
    },
    "sim_written": {"en": "events written: {files}", "zh": "事件已写入：{files}"},
    "sim_hourly": {"en": "per hour: waits per day, mean wait (min), share who left the queue",
                   "zh": "每小时：日均等候人次、平均等候（分钟）、放弃比例"},
    "plan_unreachable": {"en": "hour {hour}: no staffing meets the target ({why}); planned for the rest",
                         "zh": "{hour} 时：任何排班都达不到目标（{why}）；按其余目标排班"},
    "plan_title": {"en": "{config}: servers at {station} on {day} (erlang_a: Erlang-A's answer for the same wait "
                         "and abandonment targets; ✗: misses a target)",
                   "zh": "{config}：{day} {station} 的窗口数（erlang_a：同样等候与放弃目标下 Erlang-A 的答案；✗：未达标）"},
    "plan_hour": {"en": "hour {hour}: trying {servers} server(s)", "zh": "{hour} 时：试 {servers} 个窗口"},
    "plan_written": {"en": "plan written: {table} and {chart}", "zh": "排班计划已写入：{table} 与 {chart}"},
    "bad_engine": {"en": "unknown engine '{engine}': expected duckdb, postgres or spark",
                   "zh": "未知引擎 '{engine}'：应为 duckdb、postgres 或 spark"},
    "engine_needs_lake": {"en": "engine {engine} does not score this store ({backend}); Spark and DuckDB score a "
                                "Parquet lake: `peakend export LAKE` then `peakend score --lake LAKE --engine …`",
                          "zh": "引擎 {engine} 不能对该库（{backend}）评分；Spark 与 DuckDB 可对 Parquet 数据湖评分："
                                "先 `peakend export LAKE`，再 `peakend score --lake LAKE --engine …`"},
    "lake_scores": {"en": "score tables ({engine}) written as Parquet under {folder}",
                    "zh": "评分表（{engine}）已以 Parquet 写入 {folder}"},
    "exported": {"en": "exported {rows} rows to {folder} (Parquet, partitioned by date and hall)",
                 "zh": "已导出 {rows} 行至 {folder}（Parquet，按日期与营业厅分区）"},
    "fit_summary": {"en": "fitted {hall} from {visits} visits over {days} day(s)",
                    "zh": "已由 {days} 天共 {visits} 次到厅拟合 {hall}"},
    "fit_note": {"en": "note: {note}", "zh": "说明：{note}"},
    "fitting": {"en": "fitting {hall}…", "zh": "正在拟合 {hall}…"},
    "fit_checking": {"en": "checking the fit ({reps} replications)…", "zh": "正在检验拟合（{reps} 次重复）…"},
    "fit_capacity": {"en": "station {station}: servers per hour, raw concurrency vs effective (calibrated by "
                           "simulation; 2.25 = two servers and a quarter of a third one's time)",
                     "zh": "站点 {station}：每小时服务人数，原始并发数与有效人数（模拟校准；2.25 = 两人全时加第三人四分之一的时间）"},
    "fit_agreement": {"en": "of {hours} hours, the observed figure lies inside the model's 95% interval for the "
                            "mean wait in {mean}, the p90 wait in {p90}, the share who left in {abandon}; mean "
                            "absolute error {mae_mean:.2f} min (mean), {mae_p90:.2f} min (p90); left overall: "
                            "{observed:.1f}% observed, {simulated:.1f}% simulated",
                      "zh": "{hours} 个时段中，实测值落在模型 95% 区间内的：平均等候 {mean} 个，p90 等候 {p90} 个，"
                            "放弃比例 {abandon} 个；平均绝对误差 {mae_mean:.2f} 分钟（平均）、{mae_p90:.2f} 分钟（p90）；"
                            "总放弃率：实测 {observed:.1f}%，模拟 {simulated:.1f}%"},
    "fit_classes": {"en": "per priority class: observed vs simulated mean wait (min)",
                    "zh": "按优先级类别：实测与模拟平均等候（分钟）"},
    "fit_in_sample": {"en": "checked on the days it was fitted on (one day of visits, or --holdout 0): an in-sample "
                             "check flatters the fit", "zh": "在拟合所用的同一批日期上检验（只有一天来访，或 --holdout 0）：样本内检验会高估拟合"},
    "fit_hours_too_few": {"en": "hours with too few observations to check: {hours}", "zh": "观测太少、无法检验的时段：{hours}"},
    "fit_too_few": {"en": "too few to check", "zh": "数据太少，无法检验"},
    "fit_not_reproduced": {"en": "the model does not reproduce hours {hours} (mean wait outside its interval): "
                                 "use it for them with care",
                           "zh": "模型未能重现这些时段：{hours}（平均等候落在区间外）：用于这些时段时请谨慎"},
    "fit_written": {"en": "fitted configuration written: {config}; hourly check: {table}",
                    "zh": "拟合配置已写入：{config}；分时段校验：{table}"},
    "config_problem": {"en": "hall configuration problem: {problem}", "zh": "营业厅配置有误：{problem}"},
    "training_problem": {"en": "training library {source}: {problem}", "zh": "培训库 {source} 有误：{problem}"},
    "store_busy": {"en": "the store {path} is open in another program (a running `peakend serve`?): stop it, or "
                         "use a PostgreSQL store to share one among programs",
                   "zh": "存储 {path} 正被另一个程序占用（是否有正在运行的 `peakend serve`？）：请先停止它，"
                         "或改用 PostgreSQL 存储供多个程序共用"},
    # the command line's own words
    "not_utf8": {"en": "{source}: not UTF-8 text: {value}", "zh": "{source}：不是 UTF-8 文本：{value}"},
    "unknown_moment": {"en": "unknown moment '{value}'; known: {expected}", "zh": "未知的关键时刻“{value}”；已知：{expected}"},
    "bad_option": {"en": "{option}: expected one of {expected}, got '{value}'",
                   "zh": "{option}：应为 {expected} 之一，实际为“{value}”"},
    "ingest_mostly_rejected": {
        "en": "{quarantined} of {rows} rows ({share:.0%}) were quarantined, more than {most:.0%}: check the mapping, "
              "the rating scale and the column names (`peakend quarantine` lists each row with its reason); the rows "
              "that passed are stored",
        "zh": "{rows} 行中有 {quarantined} 行（{share:.0%}）被隔离，超过 {most:.0%}：请检查字段对应、评分量表和列名"
              "（`peakend quarantine` 逐行列出原因）；通过检查的行已存储"},
    "ingest_total": {"en": "{files} files, {stored} new records, {quarantined} rows quarantined (see `peakend quarantine`)",
                     "zh": "{files} 个文件，新入库 {stored} 条，隔离 {quarantined} 行（见 `peakend quarantine`）"},
    "ingest_commonest": {"en": "  {rows} row(s): {field} — {message}", "zh": "  {rows} 行：{field} — {message}"},
    "shown": {"en": "({value} shown)", "zh": "（显示 {value} 条）"},
    "scoring": {"en": "scoring… {value}", "zh": "评分中… {value}"},
    "exporting": {"en": "exporting… {table} {rows}", "zh": "导出中… {table} {rows}"},
    "reporting": {"en": "writing the report…", "zh": "生成报告中…"},
    "compare_title": {"en": "{target}: {metric}, {repeats} × {folds}-fold CV, {answers} answers",
                      "zh": "{target}：{metric}，{repeats} × {folds} 折交叉验证，{answers} 份答案"},
    "weights_in_force": {"en": "REI here weighs peak {peak:g}, end {end:g}, mean {mean:g} (blueprint version #{number}).",
                         "zh": "此处 REI 的权重：峰值 {peak:g}、终值 {end:g}、平均 {mean:g}（蓝图版本 #{number}）。"},
    "weights_built_in": {"en": "REI here weighs peak {peak:g}, end {end:g}, mean {mean:g} (the built-in blueprint).",
                         "zh": "此处 REI 的权重：峰值 {peak:g}、终值 {end:g}、平均 {mean:g}（内置蓝图）。"},
    "weights_contradicted": {"en": "This store's own verdict says the plain mean predicts {target} better than peak + end, "
                                   "yet REI weighs the mean under half: fit the weights to these customers "
                                   "(`peakend calibrate`, an admin approves them) before ranking on REI.",
                             "zh": "本存储自己的结论显示：单纯平均比峰值+终值更能预测“{target}”，但 REI 中平均的权重不到一半："
                                   "请先按这些客户拟合权重（`peakend calibrate`，由管理员批准），再按 REI 排名。"},
    "mapping_taken": {"en": "a mapping named '{value}' was saved by someone else: choose another name",
                      "zh": "名为“{value}”的映射已由他人保存：请换一个名称"},
    "calibrate_alike": {"en": "the {answers} answered visits' peak, end and mean do not vary apart (one touch per visit, or "
                                "the same e at every touch): their weights cannot be told apart, so none is fitted",
                        "zh": "{answers} 次有答案的来访的峰值、终值和平均值不能彼此区分（每次来访只有一个触点，或每个触点体验值相同）：无法分别拟合其权重"},
    "calibrate_approved_anyway": {"en": "saved as asked, although these weights do not predict detectably better than "
                                        "0.5/0.5/0 and the best single part", "zh": "已按要求保存，尽管这组权重的预测并不比 0.5/0.5/0 和最佳单项明显更好"},
    "demo_generating": {"en": "generating demo files…", "zh": "生成演示文件中…"},
    "demo_daily": {"en": "{files} daily touch logs: {rows} rows, {stored} touches stored",
                   "zh": "{files} 份每日触点日志：{rows} 行，入库 {stored} 个触点"},
    "serving": {"en": "peakend on http://{host}:{port}  (store: {db}; API docs: /docs)",
                "zh": "peakend 运行于 http://{host}:{port}（存储：{db}；API 文档：/docs）"},
    "serving_workers": {"en": "{workers} web processes; the live rules, timers and scoring in a process of their own",
                        "zh": "{workers} 个网页进程；实时规则、定时器与评分在单独的进程中运行"},
    "workers_need_postgres": {
        "en": "--workers {workers}: several processes share a PostgreSQL store only (DuckDB lets one process write "
              "a file); give --db postgresql://…",
        "zh": "--workers {workers}：只有 PostgreSQL 存储可由多个进程共用（DuckDB 文件只允许一个进程写入）；"
              "请使用 --db postgresql://…"},
    "workers_blueprint": {
        "en": "--workers with --blueprint: every process runs the store's blueprint; save it first with "
              "`peakend blueprint use {path}`",
        "zh": "--workers 与 --blueprint 不能同用：各进程运行存储中的蓝图；请先执行 `peakend blueprint use {path}` 保存"},
    "live_working": {"en": "live worker on {db}: rules on queued visits, timers every {tick} s, scoring every "
                           "{minutes} min (Ctrl+C stops)",
                     "zh": "实时工作进程（存储 {db}）：处理排队到访的规则，每 {tick} 秒运行定时器，每 {minutes} 分钟评分"
                           "（Ctrl+C 停止）"},
    "live_worker_restarted": {"en": "the live worker ended (exit {code}); started again",
                              "zh": "实时工作进程已退出（退出码 {code}）；已重新启动"},
    "user_saved": {"en": "user {user} ({role}) saved", "zh": "用户 {user}（{role}）已保存"},
    "replayed": {"en": "{events} events: {stored} stored, {rejected} rejected; fired {alerts} alerts, {cases} cases, "
                       "{surveys} surveys, {advice} advice; {timers} timers ran",
                 "zh": "{events} 个事件：入库 {stored}，拒收 {rejected}；触发提醒 {alerts}、工单 {cases}、"
                       "调查 {surveys}、建议 {advice}；运行定时器 {timers} 个"},
    "timers_ran": {"en": "{value} timers ran", "zh": "运行了 {value} 个定时器"},
    "simulating": {"en": "simulating {value}", "zh": "模拟 {value}"},
    "no_station": {"en": "no station '{value}' (stations: {expected})", "zh": "没有服务台“{value}”（服务台：{expected}）"},
    "side_by_side": {"en": "side by side", "zh": "方案对比"},
    "fit_table": {"en": "{hall}: observed vs simulated waits (min)", "zh": "{hall}：实测与模拟等候（分钟）"},
    # errors (errors.PeakendError and its kinds)
    "error": {"en": "{value}", "zh": "{value}"},
    "bp_invalid": {"en": "the blueprint cannot be used:\n{value}", "zh": "蓝图无法使用：\n{value}"},
    "mapping_invalid": {"en": "{source}: the mapping cannot be used: {value}",
                        "zh": "{source}：映射文件无法使用：{value}"},
    "yaml_too_big": {"en": "{source}: the YAML text is longer than {limit} characters; it was not read",
                     "zh": "{source}：YAML 文本超过 {limit} 个字符，未读取"},
    "yaml_too_deep": {"en": "{source} line {line}: the YAML nests deeper than {limit} levels; it was not read further",
                      "zh": "{source} 第 {line} 行：YAML 嵌套超过 {limit} 层，未继续读取"},
    "yaml_too_many": {"en": "{source} line {line}: the YAML holds more than {limit} values; it was not read further",
                      "zh": "{source} 第 {line} 行：YAML 中的值超过 {limit} 个，未继续读取"},
    "yaml_anchor": {"en": "{source} line {line}: anchors (&name) and aliases (*name) are not accepted; write the "
                          "values out",
                    "zh": "{source} 第 {line} 行：不接受锚点（&名称）和别名（*名称）；请把值直接写出"},
    "yaml_merge": {"en": "{source} line {line}: merge keys (<<) are not accepted; write the keys out (quote '<<' "
                         "to mean the text)",
                   "zh": "{source} 第 {line} 行：不接受合并键（<<）；请把键直接写出（如指文字 '<<' 请加引号）"},
    "setting_invalid": {"en": "setting {env}={raw!r}: expected {kind} ({why})",
                        "zh": "设置 {env}={raw!r}：应为 {kind}（{why}）"},
    "case_unknown": {"en": "no such case: {case}", "zh": "没有该工单：{case}"},
    "case_closed": {"en": "case {case} is already resolved", "zh": "工单 {case} 已办结"},
    "case_empty_comment": {"en": "a comment needs text", "zh": "评论需要填写内容"},
    "case_empty_owner": {"en": "reassign needs the new owner", "zh": "转派需要填写新的负责人"},
    "case_empty_note": {"en": "resolving needs a resolution note", "zh": "办结需要填写处理说明"},
    "case_too_long": {"en": "at most {most:,} characters, got {got:,}", "zh": "最多 {most:,} 个字符，实际 {got:,} 个"},
    "case_control": {"en": "the text holds a NUL or other control character", "zh": "文本含有 NUL 等控制字符"},
    "store_down": {"en": "the store does not answer ({value}): nothing was stored, send again later",
                   "zh": "存储无响应（{value}）：未存入任何数据，请稍后重发"},
    "user_email": {"en": "'{value}' is not an e-mail address", "zh": "“{value}”不是电子邮件地址"},
    "user_role": {"en": "role must be one of {roles}, got '{value}'", "zh": "角色应为 {roles} 之一，实际为“{value}”"},
    "user_password": {"en": "a user needs a name and a password of at least 8 characters",
                      "zh": "用户需要用户名和至少 8 个字符的密码"},
    "user_hall": {"en": "a {value} needs at least one hall (--hall)", "zh": "{value} 至少需要一个营业厅（--hall）"},
    "token_hall": {"en": "a device token needs a hall (--hall; '*' only with --sms)",
                   "zh": "设备令牌需要营业厅（--hall；仅 --sms 可用“*”）"},
    "lake_hall_names": {"en": "hall ids that cannot name a folder (a slash, '=' or a leading dot): {value}",
                        "zh": "营业厅编号无法作为文件夹名（含斜杠、“=”或以点开头）：{value}"},
    "lake_not": {"en": "{source}: not a lake (no visits/ or touches/ folder); `peakend export` writes one",
                 "zh": "{source}：不是数据湖（没有 visits/ 或 touches/ 文件夹）；`peakend export` 可写出"},
    "lake_table": {"en": "{source}: no {value}/ folder; `peakend export` writes every table",
                   "zh": "{source}：没有 {value}/ 文件夹；`peakend export` 会写出每张表"},
    "fit_no_visits": {"en": "cannot fit: hall '{hall}' has no visits with an arrival or touch time in the store{between} "
                             "(a file needs an `arrival` or `start_at` column: see docs/en/reference/contract.md)",
                      "zh": "无法拟合：营业厅“{hall}”在库中没有带到达或触点时间的来访{between}"
                            "（文件需有 `arrival` 或 `start_at` 列：见 docs/zh/reference/contract.md）"},
    "fit_holdout": {"en": "cannot hold days out for the check: {days} day(s) with visits (need 2) and a held-out share "
                           "{holdout} (need between 0 and 1)",
                    "zh": "无法留出检验日：有来访的天数为 {days}（至少需要 2 天），留出比例 {holdout}（须在 0 与 1 之间）"},
    "fit_split": {"en": "fitted on {train_from} – {train_to} ({train_days} days), checked on the held-out days "
                         "{test_from} – {test_to} ({test_days} days)",
                  "zh": "以 {train_from} 至 {train_to}（{train_days} 天）拟合，以留出的 {test_from} 至 {test_to}"
                        "（{test_days} 天）检验"},
    "fit_no_names": {"en": "cannot fit: no visit names a {what} the blueprint knows; give a base configuration (--like) "
                           "whose {whats} to keep",
                     "zh": "无法拟合：没有来访使用蓝图中已知的{what}；请用 --like 给出保留其{whats}的基础配置"},
    "settings_title": {"en": "Settings (environment variables)", "zh": "设置（环境变量）"},
    "settings_variable": {"en": "variable", "zh": "变量"},
    "settings_value": {"en": "value in force", "zh": "当前值"},
    "settings_meaning": {"en": "what it does", "zh": "作用"},
    "settings_default": {"en": " (default)", "zh": "（默认）"},
    # ingest: row-level problems (the field's expectation is part of the message)
    "missing": {
        "en": "{source} row {row}: field '{field}' is required but empty",
        "zh": "{source} 第 {row} 行：字段“{field}”必填，但为空",
    },
    "not_number": {
        "en": "{source} row {row}: field '{field}' expected {expected}, got '{value}'",
        "zh": "{source} 第 {row} 行：字段“{field}”应为 {expected}，实际为“{value}”",
    },
    "bad_offset": {
        "en": "{source} row {row}: field '{field}' has a UTC offset outside {expected} (or minutes past 59): '{value}'",
        "zh": "{source} 第 {row} 行：字段“{field}”的时区偏移超出 {expected}（或分钟超过 59）：“{value}”",
    },
    "not_integer": {
        "en": "{source} row {row}: field '{field}' expected a whole number, got '{value}'",
        "zh": "{source} 第 {row} 行：字段“{field}”应为整数，实际为“{value}”",
    },
    "not_timestamp": {
        "en": "{source} row {row}: field '{field}' expected a time like 2026-11-02 09:15:00, got '{value}'",
        "zh": "{source} 第 {row} 行：字段“{field}”应为时间（如 2026-11-02 09:15:00），实际为“{value}”",
    },
    "not_bool": {
        "en": "{source} row {row}: field '{field}' expected yes/no (1/0, true/false, 是/否), got '{value}'",
        "zh": "{source} 第 {row} 行：字段“{field}”应为是/否（1/0、true/false），实际为“{value}”",
    },
    "control_char": {
        "en": "{source} row {row}: field '{field}' holds a NUL or other control character: '{value}'",
        "zh": "{source} 第 {row} 行：字段“{field}”含有 NUL 等控制字符：“{value}”",
    },
    "not_in_set": {
        "en": "{source} row {row}: field '{field}' expected one of {expected}, got '{value}'",
        "zh": "{source} 第 {row} 行：字段“{field}”应为 {expected} 之一，实际为“{value}”",
    },
    "out_of_range": {
        "en": "{source} row {row}: field '{field}' expected {expected}, got '{value}'",
        "zh": "{source} 第 {row} 行：字段“{field}”应在 {expected} 范围内，实际为“{value}”",
    },
    "before": {
        "en": "{source} row {row}: field '{field}' must not be before {expected}, got '{value}'",
        "zh": "{source} 第 {row} 行：字段“{field}”不得早于 {expected}，实际为“{value}”",
    },
    "unknown_visit": {
        "en": "{source} row {row}: field '{field}' names visit '{value}', which is neither "
        "stored nor in this file; give its hall_id to create it, or ingest the visit first",
        "zh": "{source} 第 {row} 行：字段“{field}”引用的来访“{value}”既未入库也不在本文件中；"
        "请提供 hall_id 以创建来访，或先导入来访",
    },
    "fraction": {
        "en": "{source} row {row}: field '{field}' is {value}, between the points of scale {expected}; "
        "to accept such ratings, set `allow_fractions: true` in the mapping",
        "zh": "{source} 第 {row} 行：字段“{field}”为 {value}，不是量表 {expected} 的刻度；"
        "如需接受，请在映射文件中设置 `allow_fractions: true`",
    },
    "too_long": {
        "en": "{source} row {row}: field '{field}' expected at most {expected} characters, got '{value}'",
        "zh": "{source} 第 {row} 行：字段“{field}”最多 {expected} 个字符，实际为“{value}”",
    },
    "id_elsewhere": {
        "en": "{source} row {row}: field '{field}' is '{value}', an id this token cannot use: it is taken by an "
        "event it may not see; send an id of its own",
        "zh": "{source} 第 {row} 行：字段“{field}”为“{value}”，此令牌不能使用该编号：它已被无权查看的事件占用；请使用自己的编号",
    },
    "visit_elsewhere": {
        "en": "{source} row {row}: field '{field}' names visit '{value}', which this token cannot use: "
        "the id is taken by a visit it may not see; send its own visit id",
        "zh": "{source} 第 {row} 行：字段“{field}”引用的来访“{value}”不能由此令牌使用："
        "该编号已被它无权查看的来访占用；请使用本厅的来访编号",
    },
    "forbidden_hall": {
        "en": "{source} row {row}: field '{field}' is '{value}', but this sender may only write events of {expected}",
        "zh": "{source} 第 {row} 行：字段“{field}”为“{value}”，但发送方只能写入 {expected} 的事件",
    },
    "store_refused": {
        "en": "{source} row {row}: the store refused this record ({value}); the rest of the request was stored",
        "zh": "{source} 第 {row} 行：存储拒绝了这条记录（{value}）；请求中的其余记录已入库",
    },
    "hall_conflict": {
        "en": "{source} row {row}: field '{field}' says hall '{value}' but visit is already in hall {expected}",
        "zh": "{source} 第 {row} 行：字段“{field}”为营业厅“{value}”，但该来访已属于营业厅 {expected}",
    },
    "no_scale": {
        "en": "{source} row {row}: field '{field}' has a rating '{value}' but no scale; "
        "expected rating_scale one of {expected} (or pass --rating-scale)",
        "zh": "{source} 第 {row} 行：字段“{field}”有评分“{value}”但未给出量表；"
        "rating_scale 应为 {expected} 之一（或使用 --rating-scale）",
    },
    "bad_utf8": {
        "en": "{source} row {row}: the line is not valid in the file's encoding (read as UTF-8; byte {value}); if the "
              "file has another encoding, name it: --encoding gbk",
        "zh": "{source} 第 {row} 行：该行不符合文件的编码（按 UTF-8 读取；字节 {value}）；若文件为其他编码，请指定，如 --encoding gbk",
    },
    "bad_json": {
        "en": "{source} row {row}: expected one JSON object per line: {value}",
        "zh": "{source} 第 {row} 行：每行应为一个 JSON 对象：{value}",
    },
    "cell_too_long": {
        "en": "{source} row {row}: a cell is longer than {expected} characters; the row is quarantined",
        "zh": "{source} 第 {row} 行：有单元格超过 {expected} 个字符；该行已隔离",
    },
    "bad_csv": {
        "en": "{source} row {row}: the line cannot be read as CSV: {value}",
        "zh": "{source} 第 {row} 行：该行无法按 CSV 读取：{value}",
    },
    "line_too_long": {
        "en": "{source} row {row}: the line is longer than {expected} bytes; it is quarantined unread",
        "zh": "{source} 第 {row} 行：该行超过 {expected} 字节，未读取，已隔离",
    },
    "bad_row_shape": {
        "en": "{source} row {row}: expected {expected} columns, got {value}",
        "zh": "{source} 第 {row} 行：应有 {expected} 列，实际 {value} 列",
    },
    "empty_file": {
        "en": "{source}: the file is empty; expected a header and at least one row",
        "zh": "{source}：文件为空；应包含表头和至少一行数据",
    },
    "unreadable": {
        "en": "{source}: cannot be read as {expected}: {value}",
        "zh": "{source}：无法按 {expected} 读取：{value}",
    },
    # ingest: file-level notes
    "missing_column": {
        "en": "{source}: column '{field}' is missing (columns found: {value}); rows that need it are quarantined",
        "zh": "{source}：缺少列“{field}”（已有列：{value}）；需要该列的行已隔离",
    },
    "missing_hall": {
        "en": "{source}: no column names the hall (columns found: {value}), so rows that create visits are "
        "quarantined; if the whole file is one hall, say so in the mapping: `defaults: {{hall_id: YOUR_HALL}}` "
        "(in the browser: \"one hall for the whole file\"), else map the column that names the hall",
        "zh": "{source}：没有列给出营业厅（已有列：{value}），需新建来访的行已隔离；若整个文件属于同一个厅，请在映射中"
        "写明：`defaults: {{hall_id: 你的厅}}`（浏览器中：“整个文件属于同一个厅”），否则映射给出营业厅的列",
    },
    "extra_columns": {
        "en": "{source}: columns ignored (not in the event contract): {value}",
        "zh": "{source}：以下列不在事件契约中，已忽略：{value}",
    },
    # the schema's problems with a blueprint (pydantic's error kinds; the English message is pydantic's own)
    "schema_missing": {"en": "Field required", "zh": "缺少必填字段"},
    "schema_missing_fix": {"en": "add `{name}:` here (see the shipped blueprint, `peakend blueprint show`, for an "
                                  "example)", "zh": "在此处添加 `{name}:`（示例见内置蓝图：`peakend blueprint show`）"},
    "schema_extra": {"en": "Extra inputs are not permitted", "zh": "不认识的字段（蓝图没有这一项）"},
    "schema_extra_fix": {"en": "remove `{name}` or correct its spelling", "zh": "删除 `{name}` 或更正其拼写"},
    "schema_literal": {"en": "Input should be {expected}", "zh": "应为 {expected} 之一"},
    "schema_literal_fix": {"en": "use one of the values named", "zh": "请使用所列的值之一"},
    "schema_type": {"en": "Input should be a valid {type}", "zh": "应为{type}"},
    "schema_type_fix": {"en": "give `{name}` as {type}", "zh": "将 `{name}` 写成{type}"},
    "schema_range": {"en": "Input should be {op} {limit}", "zh": "应{op} {limit}"},
    "schema_range_fix": {"en": "give `{name}` a value in the range named", "zh": "给 `{name}` 一个所列范围内的值"},
    "mapping_no_column": {
        "en": "{source}: the mapping names column(s) the file does not have: {value}; the file's columns are: "
        "{expected}. Nothing of this file was stored: correct the mapping and run again",
        "zh": "{source}：映射中的列不在文件中：{value}；文件的列为：{expected}。此文件未入库任何数据：请更正映射后重新导入",
    },
    "mapping_no_moment": {
        "en": "{source}: the mapping names moment(s) the blueprint does not have: {value}; its moments (id, then "
        "names) are: {expected}. Nothing of this file was stored: name each moment by its id or name",
        "zh": "{source}：映射中的时刻不在蓝图中：{value}；蓝图的时刻（编号及名称）为：{expected}。此文件未入库任何数据："
        "请用编号或名称指明每个时刻",
    },
    "no_sheet": {
        "en": "{source}: the workbook has no sheet '{value}'; its sheets are: {expected}. Nothing was read from it",
        "zh": "{source}：工作簿中没有工作表“{value}”；现有工作表：{expected}。未读取任何数据",
    },
    "ingest_refused": {
        "en": "{value} file(s) refused as a whole (said above); nothing of them was stored",
        "zh": "{value} 个文件被整体拒收（原因见上文），其数据均未入库",
    },
    "unknown_kind": {
        "en": "{source}: cannot tell what the rows are (columns: {value}); expected touch rows "
        "(with moment_id), visits, surveys (overall/recommend) or audits (item/passed); "
        "pass --kind or a --mapping",
        "zh": "{source}：无法判断数据类型（列：{value}）；应为触点记录（含 moment_id）、来访、"
        "问卷（overall/recommend）或暗访（item/passed）；请使用 --kind 或 --mapping",
    },
    "ingest_summary": {
        "en": "{source}: {rows} rows read: {stored} stored, {duplicates} already there, {corrected} corrected, "
        "{warned} stored with a warning, {conflicted} in conflict, {quarantined} quarantined",
        "zh": "{source}：读取 {rows} 行：入库 {stored} 行，已存在 {duplicates} 行，更正 {corrected} 行，"
        "带警告入库 {warned} 行，冲突 {conflicted} 行，隔离 {quarantined} 行",
    },
    "ingest_kind": {
        "en": "{kind}: {stored} new, {duplicates} already stored, {rejected} rejected, {warned} dropped with a "
        "warning, {conflicts} in conflict, {replaced} replaced",
        "zh": "{kind}：新增 {stored} 条，已存在 {duplicates} 条，拒收 {rejected} 条，警告并舍弃 {warned} 条，"
        "冲突 {conflicts} 条，替换 {replaced} 条",
    },
    "kind_touch": {"en": "touches", "zh": "触点"},
    "kind_visit": {"en": "visits", "zh": "来访"},
    "kind_survey": {"en": "surveys", "zh": "问卷"},
    "kind_audit": {"en": "audits", "zh": "暗访"},
    "clash": {
        "en": "{source} row {row}: {kind} {value} was sent before with different content ({action}): "
        "before {before}; sent {sent}",
        "zh": "{source} 第 {row} 行：{kind} {value} 之前以不同内容发送过（{action}）：之前 {before}；本次 {sent}",
    },
    "clash_conflict": {"en": "the stored version stays; pass --replace to apply it as a correction",
                       "zh": "保留已存版本；如为更正请加 --replace"},
    "clash_replaced": {"en": "replaced; the previous version is kept in the audit table",
                       "zh": "已替换；先前版本保存在审计表中"},
    # blueprint
    "bp_differs": {
        "en": "warning: the blueprint given ({source}: {value}) differs from the store's (version #{number}: "
        "{expected}); this command uses the one given. `peakend blueprint use {source}` makes it the store's.",
        "zh": "警告：所给蓝图（{source}：{value}）与存储中的蓝图（第 {number} 版：{expected}）不同；本命令使用所给蓝图。"
        "用 `peakend blueprint use {source}` 可将其设为存储的蓝图。",
    },
    "bp_used": {
        "en": "{source}: blueprint '{value}' saved as the store's version #{number}; every command and the web app "
        "use it from now on",
        "zh": "{source}：蓝图 '{value}' 已存为存储的第 {number} 版；此后所有命令和网页均使用它",
    },
    "bp_same": {"en": "{source}: the store already runs this blueprint (version #{number})",
                "zh": "{source}：存储已在使用该蓝图（第 {number} 版）"},
    "mapping_end": {
        "en": "warning: {source}: the mapping's last moment '{value}' is not an end moment of blueprint '{blueprint}' "
        "({expected}); the peak-end rule reads the last touch as the end, so check the moments' order or the "
        "blueprint",
        "zh": "警告：{source}：映射的最后一个时刻 '{value}' 不是蓝图 '{blueprint}' 的终点时刻（{expected}）；"
        "峰终定律把最后一个触点当作终点，请检查时刻顺序或蓝图",
    },
    "bp_ok": {
        "en": "{source}: blueprint '{value}' is valid ({expected})",
        "zh": "{source}：蓝图“{value}”有效（{expected}）",
    },
    "bp_written": {
        "en": "{source}: a blueprint of {value} moments written (the end: {expected}); edit it, check it (`peakend blueprint check {source}`), then make it the store's (`peakend blueprint use {source}`)",
        "zh": "{source}：已写出含 {value} 个关键时刻的蓝图（终点：{expected}）；编辑后请检查（`peakend blueprint check {source}`），再设为本存储的蓝图（`peakend blueprint use {source}`）",
    },
    "bp_problems": {
        "en": "{source}: {value} problem(s) found",
        "zh": "{source}：发现 {value} 个问题",
    },
    # scoring, report, demo
    "rescored": {"en": "incremental: {value} visit(s) scored again (--full: all)",
                 "zh": "增量评分：重新评分 {value} 次来访（--full：全部）"},
    "scored": {
        "en": "scored {visits} visit(s) ({touches} touch(es)) in {halls} hall(s) in {seconds:.1f} s",
        "zh": "已评分：{halls} 个营业厅、{visits} 次来访（{touches} 个触点），用时 {seconds:.1f} 秒",
    },
    "no_data": {
        "en": "nothing to score: {value} holds no touches yet; run `peakend ingest FILE` or `peakend demo`",
        "zh": "没有可评分的数据：{value} 中还没有触点；请先运行 `peakend ingest FILE` 或 `peakend demo`",
    },
    "not_scored": {
        "en": "the store has no scores yet: run `peakend score` (or POST /api/v1/score) first",
        "zh": "数据库中还没有评分结果：请先运行 `peakend score`（或 POST /api/v1/score）",
    },
    "report_written": {
        "en": "report written to {value}",
        "zh": "报告已生成：{value}",
    },
    "demo_where": {
        "en": "Open the report: {value}\nStart with the lift ranking: it lists the hall × moment "
        "pairs where fixing bad experiences gains the most remembered experience.",
        "zh": "打开报告：{value}\n建议先看“改进收益排名”：它列出消除负面体验后，记忆体验提升最大的营业厅 × 关键时刻。",
    },
    "answer_constant": {
        "en": "'{field}' takes {value} value(s), the rarest {least} times: each of {folds} folds needs every value; cannot compare models",
        "zh": "“{field}”只有 {value} 种取值，最少的只出现 {least} 次：{folds} 折中每一折都需要每种取值，无法比较模型",
    },
    "verdict_peak_end": {
        "en": "Here {model} predicts {target} better than the plain mean ({metric} {ours:.3f} vs {mean:.3f}; "
        "difference in {tested} {diff:+.3f}, 95% interval {low:+.3f} to {high:+.3f}, {p}, corrected resampled t-test over "
        "{repeats} × {folds} folds).",
        "zh": "在这里，{model}比单纯平均更能预测“{target}”（{metric} {ours:.3f} 对 {mean:.3f}；{tested}差 {diff:+.3f}，"
        "95% 区间 {low:+.3f} 至 {high:+.3f}，{p}，{repeats} × {folds} 折校正重抽样 t 检验）。",
    },
    "verdict_mean": {
        "en": "Here the plain mean predicts {target} better than {model} ({metric} {mean:.3f} vs {ours:.3f}; "
        "difference in {tested} {diff:+.3f}, 95% interval {low:+.3f} to {high:+.3f}, {p}, corrected resampled t-test over "
        "{repeats} × {folds} folds).",
        "zh": "在这里，单纯平均比{model}更能预测“{target}”（{metric} {mean:.3f} 对 {ours:.3f}；{tested}差 {diff:+.3f}，"
        "95% 区间 {low:+.3f} 至 {high:+.3f}，{p}，{repeats} × {folds} 折校正重抽样 t 检验）。",
    },
    "w_peak": {"en": "peak", "zh": "峰值"},
    "w_end": {"en": "end", "zh": "终点"},
    "w_mean": {"en": "mean", "zh": "平均"},
    "at_constraint": {
        "en": " at the constraint (unconstrained estimate {value:+.2f}, 95% interval {low:+.2f} to {high:+.2f})",
        "zh": "（受非负约束限制；无约束估计 {value:+.2f}，95% 区间 {low:+.2f} 至 {high:+.2f}）",
    },
    "calibrate_recommend": {
        "en": "Fitted on {answers} answers to {target}: {weights} (95% bootstrap intervals of the unconstrained fit, "
        "within 0–1). Out of sample ({repeats} × {folds} folds, corrected resampled t-test) they predict better than "
        "0.5/0.5/0 ({metric} {fitted:.3f} vs {default:.3f}; difference {pe_diff:+.3f}, interval {pe_low:+.3f} to "
        "{pe_high:+.3f}) and than the best single part, {single} ({single_score:.3f}; difference {one_diff:+.3f}, "
        "interval {one_low:+.3f} to {one_high:+.3f}). `--approve` makes them the blueprint's weights.",
        "zh": "基于 {answers} 份“{target}”答案拟合：{weights}（无约束拟合的 95% 自助法区间，限于 0–1）。样本外"
        "（{repeats} × {folds} 折，校正重抽样 t 检验）预测优于 0.5/0.5/0（{metric} {fitted:.3f} 对 {default:.3f}；"
        "差 {pe_diff:+.3f}，区间 {pe_low:+.3f} 至 {pe_high:+.3f}），也优于最好的单项 {single}（{single_score:.3f}；"
        "差 {one_diff:+.3f}，区间 {one_low:+.3f} 至 {one_high:+.3f}）。加 `--approve` 即写入蓝图权重。",
    },
    "calibrate_recommend_single": {
        "en": "Fitted on {answers} answers to {target}: {weights} (95% bootstrap intervals of the unconstrained fit, "
        "within 0–1) — the best single part, {single}, alone. Out of sample ({repeats} × {folds} folds, corrected "
        "resampled t-test) it predicts better than 0.5/0.5/0 ({metric} {fitted:.3f} vs {default:.3f}; difference "
        "{pe_diff:+.3f}, interval {pe_low:+.3f} to {pe_high:+.3f}). `--approve` makes them the blueprint's weights.",
        "zh": "基于 {answers} 份“{target}”答案拟合：{weights}（无约束拟合的 95% 自助法区间，限于 0–1）——即最好的单项"
        "{single}本身。样本外（{repeats} × {folds} 折，校正重抽样 t 检验）预测优于 0.5/0.5/0（{metric} {fitted:.3f} 对 "
        "{default:.3f}；差 {pe_diff:+.3f}，区间 {pe_low:+.3f} 至 {pe_high:+.3f}）。加 `--approve` 即写入蓝图权重。",
    },
    "calibrate_not_recommended": {
        "en": "Fitted on {answers} answers to {target}: {weights} (95% bootstrap intervals of the unconstrained fit, "
        "within 0–1). Out of sample ({repeats} × {folds} folds, corrected resampled t-test) against 0.5/0.5/0: "
        "{metric} {fitted:.3f} vs {default:.3f} (difference {pe_diff:+.3f}, interval {pe_low:+.3f} to "
        "{pe_high:+.3f}); against the best single part, {single}: {single_score:.3f} (difference {one_diff:+.3f}, "
        "interval {one_low:+.3f} to {one_high:+.3f}). Not detectably better than both: approving them is not "
        "recommended.",
        "zh": "基于 {answers} 份“{target}”答案拟合：{weights}（无约束拟合的 95% 自助法区间，限于 0–1）。样本外"
        "（{repeats} × {folds} 折，校正重抽样 t 检验）对 0.5/0.5/0：{metric} {fitted:.3f} 对 {default:.3f}"
        "（差 {pe_diff:+.3f}，区间 {pe_low:+.3f} 至 {pe_high:+.3f}）；对最好的单项 {single}：{single_score:.3f}"
        "（差 {one_diff:+.3f}，区间 {one_low:+.3f} 至 {one_high:+.3f}）。并未可检测地同时优于两者：不建议批准。",
    },
    "bp_summary": {"en": "{moments} moments, {routes} routes, {items} checklist items",
                   "zh": "{moments} 个关键时刻、{routes} 条动线、{items} 个检查项"},
    "weights_rule": {
        "en": "The REI weighs peak {peak}, end {end}, mean {mean}: the peak-end rule as blueprint '{value}' sets it "
        "(not fitted to these answers; `peakend calibrate` fits and tests weights).",
        "zh": "REI 的权重为 峰值 {peak}、终点 {end}、平均 {mean}：蓝图“{value}”设定的峰终定律"
        "（未按这些答案拟合；`peakend calibrate` 可拟合并检验权重）。",
    },
    "weights_set": {
        "en": "The REI weighs peak {peak}, end {end}, mean {mean}, as blueprint '{value}' sets them by hand.",
        "zh": "REI 的权重为 峰值 {peak}、终点 {end}、平均 {mean}，由蓝图“{value}”手工设定。",
    },
    "weights_fitted": {
        "en": "The REI weighs peak {peak}, end {end}, mean {mean}: fitted to what these customers report "
        "(blueprint version #{number}: {value}).",
        "zh": "REI 的权重为 峰值 {peak}、终点 {end}、平均 {mean}：按这些客户的回答拟合（蓝图第 {number} 版：{value}）。",
    },
    "calibrate_saved": {
        "en": "weights peak {peak}, end {end}, mean {mean} saved as blueprint version #{number}; run `peakend score`",
        "zh": "权重 峰值 {peak}、终点 {end}、平均 {mean} 已存为蓝图第 {number} 版；请运行 `peakend score`",
    },
    "verdict_none": {
        "en": "No detectable difference between {model} and the plain mean in predicting {target}: interval "
        "{low:+.3f} to {high:+.3f} ({metric} {ours:.3f} vs {mean:.3f}, {p}, corrected resampled t-test over "
        "{repeats} × {folds} folds); the true difference may lie anywhere in that interval.",
        "zh": "在预测“{target}”上，{model}与单纯平均之间没有可检测的差异：区间 {low:+.3f} 至 {high:+.3f}"
        "（{metric} {ours:.3f} 对 {mean:.3f}，{p}，{repeats} × {folds} 折校正重抽样 t 检验）；真实差异可能在该区间内任何位置。",
    },
    "brier_skill": {"en": "Brier skill", "zh": "Brier 技能分"},
    "verdict_best": {
        "en": "Of all models, chosen by nested cross-validation (so that choosing does not flatter the winner), "
        "{model} predicts {target} best ({tested} {score:.3f}, chosen in {picks} of {outer} outer folds): {diff:+.3f} "
        "over the mean alone, 95% interval {low:+.3f} to {high:+.3f} ({p}).",
        "zh": "在全部模型中，经嵌套交叉验证选择（选择本身不会抬高胜者），{model}最能预测“{target}”（{tested} {score:.3f}，"
        "{outer} 个外层折中 {picks} 次入选）：比仅平均高 {diff:+.3f}，95% 区间 {low:+.3f} 至 {high:+.3f}（{p}）。",
    },
    "verdict_best_none": {
        "en": "Of all models, chosen by nested cross-validation, {model} predicts {target} best ({tested} {score:.3f}, "
        "chosen in {picks} of {outer} outer folds), but with no detectable gain over the mean alone: interval "
        "{low:+.3f} to {high:+.3f} ({p}).",
        "zh": "在全部模型中，经嵌套交叉验证选择，{model}最能预测“{target}”（{tested} {score:.3f}，{outer} 个外层折中 "
        "{picks} 次入选），但相对仅平均没有可检测的提升：区间 {low:+.3f} 至 {high:+.3f}（{p}）。",
    },
    "verdict_best_mean": {
        "en": "Of all models, chosen by nested cross-validation, the mean alone predicts {target} best ({tested} "
        "{score:.3f}, chosen in {picks} of {outer} outer folds).",
        "zh": "在全部模型中，经嵌套交叉验证选择，仅平均最能预测“{target}”（{tested} {score:.3f}，{outer} 个外层折中 "
        "{picks} 次入选）。",
    },
    "compare_none": {
        "en": "too few answers: fewer than {value} surveyed visits with an answer for '{field}' (got {got}): "
        "cannot compare models",
        "zh": "有“{field}”答案的已调查来访少于 {value} 次（现有 {got} 次），无法比较模型",
    },
    "bp_versions": {"en": "Blueprint versions (in force: #{number}; #0 is the built-in one)", "zh": "蓝图版本（当前：#{number}；#0 为内置蓝图）"},
    "activity_title": {"en": "Activity log (newest first)", "zh": "操作日志（最新在前）"},
    "activity_intact": {"en": "the activity log is intact: {value} rows, every hash holds", "zh": "操作日志完整：共 {value} 行，哈希链全部成立"},
    "activity_broken": {"en": "the activity log was changed: the hash chain breaks at row {value}", "zh": "操作日志已被改动：哈希链在第 {value} 行断开"},
    "customer_exported": {"en": "{value} visits of this customer written to {path}", "zh": "该客户的 {value} 次来访已写入 {path}"},
    "customer_forgotten": {"en": "erased: {visits} visits anonymised, {comments} comments, {replies} SMS replies and {notes} case notes removed (logged, without the phone)", "zh": "已删除：{visits} 次来访已匿名化，删除评论 {comments} 条、短信回复 {replies} 条、工单备注 {notes} 条（已记入日志，不含电话）"},
    "whatif_bad_change": {"en": "this change cannot be simulated: {why}", "zh": "无法模拟此改变：{why}"},
    "change_not_whole": {"en": "{field} takes a whole number, not “{raw}”", "zh": "{field}须为整数，不能是“{raw}”"},
    "change_not_number": {"en": "{field} takes a number, not “{raw}”", "zh": "{field}须为数字，不能是“{raw}”"},
    "change_outside": {"en": "{field} must be from {lo:g} to {hi:g}, not {raw}",
                       "zh": "{field}须在 {lo:g} 到 {hi:g} 之间，不能是 {raw}"},
    "change_field_add": {"en": "servers added in every hour", "zh": "每个时段增减人数"},
    "change_field_closes": {"en": "the closing hour", "zh": "关门时间"},
    "change_field_divert_at": {"en": "the number waiting per counter that steers business to self-service",
                               "zh": "引导办理自助的每窗口排队人数"},
    "whatif_no_visits": {"en": "neither its visits nor their touches have a time (an arrival, or when a touch "
                                "started); the simulation needs to know when customers came",
                         "zh": "来访和触点都没有时间（到达时间或触点开始时间），而模拟需要知道客户何时到来"},
    "whatif_no_names": {"en": "the moments its visits touched match none of the service's routes",
                        "zh": "来访经过的关键时刻与服务蓝图中的任何一条动线都对不上"},
    "not_a_sender": {"en": "only device tokens and admins may send events (auditors: audits), not {value} records",
                     "zh": "只有设备令牌和管理员可发送事件（暗访员：暗访记录），不能发送 {value}"},
    "batch_too_large": {"en": "at most {most} records per batch (setting PEAKEND_MAX_BATCH), got {value}",
                        "zh": "每批最多 {most} 条记录（设置 PEAKEND_MAX_BATCH），收到 {value} 条"},
    "being_computed": {"en": "being computed: follow the job, then ask again",
                       "zh": "正在计算：请跟踪任务，完成后再查询"},
    "job_not_found": {"en": "no such job: {value}", "zh": "没有这个任务：{value}"},
    "job_state": {"en": "this job is {state}: it cannot be started again", "zh": "此任务{state}，不能再次开始"},
    "job_failed": {"en": "the job failed: {value}", "zh": "任务失败：{value}"},
    "job_cut_off": {"en": "the process running this job stopped ({attempts} times): it was not finished",
                    "zh": "运行此任务的进程已停止（{attempts} 次），任务未完成"},
    "bp_skipped": {"en": "saved blueprint version(s) {value} no longer pass the check and are skipped: the halls "
                         "run version {number} ({expected}); see `peakend blueprint versions`",
                   "zh": "已保存的蓝图版本 {value} 未通过检查，已跳过：各厅运行版本 {number}（{expected}）；"
                         "见 `peakend blueprint versions`"},
    # identity (issue 34): users and tokens in the browser, single sign-on
    "id_not_yours": {"en": "'{value}' is not a user you manage: managers manage staff of their own halls only, and "
                           "give only their own halls",
                     "zh": "“{value}”不是您可管理的用户：厅经理只能管理本营业厅的员工，且只能授予自己的营业厅"},
    "id_not_self": {"en": "you cannot change, disable or reset your own account here (ask another admin)",
                    "zh": "不能在此修改、停用或重置您自己的账户（请另一位管理员操作）"},
    "id_halls_bad": {"en": "halls: at most {most} ids of at most 200 characters each",
                     "zh": "营业厅：最多 {most} 个编号，每个最多 200 个字符"},
    "id_username_bad": {"en": "a user name has 1–200 characters and no comma, tab, line break or NUL",
                        "zh": "用户名为 1–200 个字符，不含逗号、制表符、换行或 NUL"},
    "id_username_taken": {"en": "a user called '{value}' exists already", "zh": "已有名为“{value}”的用户"},
    "id_reset_sso": {"en": "this account signs in through {value}: its password is kept there",
                     "zh": "该账户通过 {value} 登录：其密码由该处管理"},
    "id_code_bad": {"en": "this code is unknown, used or expired: ask an admin for a new one",
                    "zh": "该代码无效、已使用或已过期：请向管理员索取新代码"},
    "id_sso_local": {"en": "user '{value}' exists already as a {source} account: single sign-on does not take it over",
                     "zh": "用户“{value}”已是 {source} 账户：单点登录不会接管该账户"},
    "id_sso_disabled": {"en": "user '{value}' is disabled here", "zh": "用户“{value}”已在本系统停用"},
    "id_tokens_admin": {"en": "only admins manage tokens", "zh": "只有管理员可以管理令牌"},
    "id_token_unknown": {"en": "no token '{value}'", "zh": "没有令牌“{value}”"},
    "id_token_bad": {"en": "a token's hall and label have at most 200 characters; scope is device or sms",
                     "zh": "令牌的营业厅与标签最多 200 个字符；范围为 device 或 sms"},
    "id_token_revoked": {"en": "token '{value}' is revoked: make a new one", "zh": "令牌“{value}”已吊销：请新建"},
    "ldap_down": {"en": "the LDAP directory does not answer properly ({value}): try again later",
                  "zh": "LDAP 目录未正常响应（{value}）：请稍后再试"},
    "sso_too_many": {"en": "the sign-on names more than {most} groups or halls: refused",
                     "zh": "单点登录给出的组或营业厅超过 {most} 个：已拒绝"},
    "sso_no_username": {"en": "the sign-on names no usable user name (1–200 characters, no comma or control character)",
                        "zh": "单点登录没有给出可用的用户名（1–200 个字符，不含逗号或控制字符）"},
    "sso_no_role": {"en": "your groups ({groups}) grant no role in peakend: ask your administrator to add you to a "
                          "peakend group",
                    "zh": "您所在的组（{groups}）在 peakend 中没有对应角色：请管理员把您加入 peakend 的组"},
    "sso_no_hall": {"en": "your groups make you a {role} but name no hall: ask your administrator for a hall group",
                    "zh": "您所在的组授予了 {role} 角色，但没有指定营业厅：请管理员把您加入营业厅组"},
    "sso_provider_down": {"en": "the sign-on provider does not answer properly ({value}): try again later or log in "
                                "with a password",
                          "zh": "单点登录提供方未正常响应（{value}）：请稍后再试或用密码登录"},
    "sso_provider_said": {"en": "the sign-on provider refused: {value}", "zh": "单点登录提供方拒绝：{value}"},
    "sso_issuer": {"en": "the sign-on answer comes from another issuer ({value}): refused",
                   "zh": "单点登录应答来自其他签发者（{value}）：已拒绝"},
    "sso_state": {"en": "this sign-on answer belongs to no login started here (expired, used, or from another "
                        "browser): start again",
                  "zh": "该单点登录应答不属于本处发起的登录（已过期、已使用或来自其他浏览器）：请重新开始"},
    "sso_token_refused": {"en": "the sign-on provider refused the code ({value}): start again",
                          "zh": "单点登录提供方拒绝了授权码（{value}）：请重新开始"},
    "sso_id_token_bad": {"en": "the ID token does not hold ({value}): signature, issuer, audience, expiry and nonce "
                               "must all be right; refused",
                         "zh": "ID 令牌校验未通过（{value}）：签名、签发者、受众、有效期与 nonce 必须全部正确；已拒绝"},
    # integrations: webhooks, chat robots, metrics (issue 35)
    "hook_bad_url": {"en": "webhook URL: expected http(s)://host/path without user info or spaces, got '{value}'",
                     "zh": "Webhook 地址：应为 http(s)://主机/路径（不含用户信息或空格），实际为“{value}”"},
    "hook_no_address": {"en": "webhook URL: the host '{value}' has no address",
                        "zh": "Webhook 地址：主机“{value}”无法解析"},
    "hook_private": {"en": "webhook URL: '{value}' is {address} ({kind}); internal addresses are refused "
                           "(setting PEAKEND_WEBHOOK_ALLOW_PRIVATE allows them)",
                     "zh": "Webhook 地址：“{value}”解析为 {address}（{kind}），内部地址被拒绝"
                           "（设置 PEAKEND_WEBHOOK_ALLOW_PRIVATE 可允许）"},
    "hook_unknown": {"en": "no webhook endpoint '{value}' (see `peakend webhook list`)",
                     "zh": "没有 Webhook 端点“{value}”（见 `peakend webhook list`）"},
    "hook_no_alert": {"en": "no alert '{value}' in your halls", "zh": "您的营业厅没有提醒“{value}”"},
    "hook_no_delivery": {"en": "no delivery '{value}' (see `peakend webhook log`)",
                         "zh": "没有投递记录“{value}”（见 `peakend webhook log`）"},
    "hook_added": {"en": "endpoint {id} added", "zh": "已添加端点 {id}"},
    "hook_secret": {"en": "its signing secret (shown once, keep it): {secret}",
                    "zh": "签名密钥（只显示一次，请保存）：{secret}"},
    "hook_needs_server_secret": {
        "en": "set PEAKEND_SECRET first (the same in every peakend process): endpoint signing secrets are stored "
              "encrypted with a key derived from it",
        "zh": "请先设置 PEAKEND_SECRET（所有 peakend 进程相同）：端点签名密钥以由它派生的密钥加密存储"},
    "hook_secret_unreadable": {
        "en": "endpoint {id}: its signing secret cannot be decrypted with this PEAKEND_SECRET (it was changed since "
              "the secret was stored); set the PEAKEND_SECRET it was stored with and enable the endpoint, or remove "
              "it and add it anew; its deliveries wait",
        "zh": "端点 {id}：无法用当前的 PEAKEND_SECRET 解密其签名密钥（存储密钥后 PEAKEND_SECRET 被更改）；请恢复存储时的 "
              "PEAKEND_SECRET 并重新启用该端点，或删除后重新添加；其投递在等待"},
    "hook_secret_unset": {
        "en": "endpoint {id}: its signing secret is stored encrypted but PEAKEND_SECRET is not set; set the one it was "
              "stored with and enable the endpoint; its deliveries wait",
        "zh": "端点 {id}：其签名密钥已加密存储，但未设置 PEAKEND_SECRET；请设置存储时的 PEAKEND_SECRET 并重新启用该端点；"
              "其投递在等待"},
    "hook_removed": {"en": "endpoint {id} removed", "zh": "已删除端点 {id}"},
    "jobs_pruned": {"en": "removed {jobs} jobs finished more than {days} days ago, {tables} stored tables and {files} "
                          "upload files",
                    "zh": "已删除结束超过 {days} 天的任务 {jobs} 个、保存的表 {tables} 张、上传文件 {files} 个"},
    "jobs_pruned_dry": {"en": "would remove {jobs} jobs finished more than {days} days ago, {tables} stored tables and "
                              "{files} upload files (nothing removed: --dry-run)",
                        "zh": "将删除结束超过 {days} 天的任务 {jobs} 个、保存的表 {tables} 张、上传文件 {files} 个"
                              "（--dry-run：未删除任何内容）"},
    "hook_enabled": {"en": "endpoint {id} enabled", "zh": "已启用端点 {id}"},
    "hook_replayed": {"en": "delivery {id} will be sent again", "zh": "投递 {id} 将重新发送"},
    "hook_none": {"en": "no webhook endpoints yet (`peakend webhook add`)",
                  "zh": "还没有 Webhook 端点（`peakend webhook add`）"},
    "hook_no_log": {"en": "no deliveries yet", "zh": "还没有投递记录"},
    "hook_title_alert_raised": {"en": "Recovery alert · {hall}", "zh": "补救提醒 · {hall}"},
    "hook_title_case_opened": {"en": "Follow-up case opened · {hall}", "zh": "新跟进工单 · {hall}"},
    "hook_title_case_escalated": {"en": "Case escalated · {hall}", "zh": "工单已升级 · {hall}"},
    "hook_title_case_overdue": {"en": "Case overdue · {hall}", "zh": "工单已超时 · {hall}"},
    "hook_title_case_closed": {"en": "Case closed · {hall}", "zh": "工单已关闭 · {hall}"},
    "hook_title_survey_negative": {"en": "Negative survey reply · {hall}", "zh": "差评短信回复 · {hall}"},
    "hook_title_import_finished": {"en": "Import finished · {hall}", "zh": "导入完成 · {hall}"},
    "hook_title_digest_ready": {"en": "Weekly digest ready · {hall}", "zh": "周报已生成 · {hall}"},
    "hook_case_line": {"en": "Case {case} ({kind}), due {deadline}", "zh": "工单 {case}（{kind}），期限 {deadline}"},
    "hook_score_line": {"en": "Score {score}/10 {comment}", "zh": "评分 {score}/10 {comment}"},
    "hook_peak_end": {"en": "Visit so far: peak {peak}, end {end}", "zh": "本次到访：峰值 {peak}，终值 {end}"},
    "hook_guideline": {"en": "{moment}: {guideline}", "zh": "{moment}：{guideline}"},
    "hook_state": {"en": "State: {state}", "zh": "状态：{state}"},
    "hook_open": {"en": "Open", "zh": "查看处理"},
    "hook_more": {"en": "… and {count} more", "zh": "…… 另有 {count} 条"},
    "hook_batch_title": {"en": "{count} events", "zh": "{count} 条事件"},
    "hook_mention": {"en": "Please handle: {title}", "zh": "请处理：{title}"},
    "metrics_closed": {"en": "/metrics needs its token (setting PEAKEND_METRICS_TOKEN) or PEAKEND_METRICS_OPEN",
                       "zh": "/metrics 需要令牌（设置 PEAKEND_METRICS_TOKEN）或开启 PEAKEND_METRICS_OPEN"},
    # any store (issue 31)
    "train_library_none": {"en": "the training library has no module for this service (the shipped one is for telecom halls):"
                         " setting training (PEAKEND_TRAINING) names your own",
                   "zh": "培训库中没有这项服务的课程（内置课程面向电信营业厅）：可用设置 training（PEAKEND_TRAINING）指定自己的培训库"},
    "bp_no_moments": {"en": "a journey needs at least one moment (the last one is its end; one repeating moment: each "
                            "turn, each call)",
                      "zh": "服务旅程至少需要一个关键时刻（最后一个是终点；也可以只有一个重复的时刻：每一轮、每一次通话）"},
    "fit_priority": {"en": "segment '{segment}': served after waiting {mine:.2f} min against {rest:.2f} for the others "
                           "(Welch p = {p:.1e}): served ahead, priority class 1",
                     "zh": "客群“{segment}”：平均等候 {mine:.2f} 分钟后办理，其他客群 {rest:.2f} 分钟（Welch p = {p:.1e}）："
                           "优先办理，优先级 1"},
    "fit_routes_inferred": {"en": "{n} visits name no route: inferred from the moments they touched",
                            "zh": "{n} 次来访未写明动线：按其经过的关键时刻推断"},
    "fit_weekend_days": {"en": "weekend days told by the data: {days} (mean visits per weekday {means})",
                         "zh": "由数据判断的周末：{days}（周一至周日的平均来访 {means}）"},
    "fit_holidays": {"en": "holidays told by the data (a working day almost empty): {days}",
                     "zh": "由数据判断的节假日（工作日几乎无人）：{days}"},
    "fit_no_working_day": {"en": "no working day observed: arrivals are those of weekend days, weekend factor 1",
                           "zh": "未观测到工作日：到达按周末计算，周末系数 1"},
    "fit_no_weekend": {"en": "no weekend day observed: weekend factor 1", "zh": "未观测到周末：周末系数 1"},
    "fit_unknown_mix": {"en": "{n} visits name a {what} the blueprint does not know ({value}): left out of the {what} mix",
                        "zh": "{n} 次来访写明的 {what} 不在蓝图中（{value}）：不计入 {what} 构成"},
    "fit_unnamed_mix": {"en": "{n} of {of} visits name no {what}", "zh": "{of} 次来访中 {n} 次未写明 {what}"},
    "fit_station_untimed": {"en": "station '{station}': no timed service observed; servers kept from the base",
                            "zh": "站点“{station}”：没有带时间的服务记录；服务人数沿用基础配置"},
    "fit_no_patience": {"en": "nobody left a queue: patience not estimated", "zh": "无人中途离队：未估计耐心"},
    "fit_patience": {"en": "patience: {kind}, median {median} min (95% {low}–{high}); {mean}; cv {cv}; from {left} who "
                           "left of {waited} who waited, by likelihood with censoring (AIC {aic})",
                     "zh": "耐心：{kind} 分布，中位数 {median} 分钟（95% {low}–{high}）；{mean}；变异系数 {cv}；"
                           "依据 {waited} 名等候者中离队的 {left} 名，按含删失的似然估计（AIC {aic}）"},
    "fit_mean": {"en": "mean {mean} min, 95% {low}–{high}", "zh": "平均 {mean} 分钟，95% {low}–{high}"},
    "fit_mean_beyond": {"en": "mean {mean} min (95% {low}–{high}) — beyond every observed wait (longest {longest:.1f} "
                              "min): an extrapolation of the fitted tail, not a figure to rely on",
                        "zh": "平均 {mean} 分钟（95% {low}–{high}）——超出所有实测等候（最长 {longest:.1f} 分钟）："
                              "是拟合尾部的外推，不可依赖"},
    "fit_unknown_moments": {"en": "{n} touches at moments the blueprint does not know were left out",
                            "zh": "{n} 个触点的关键时刻不在蓝图中，已略去"},
    "fit_no_rating": {"en": "no touch carries a rating: rating pads and the hall's character not estimated",
                      "zh": "没有带评分的触点：未估计评价器与营业厅特点"},
    "fit_calibrated": {"en": "station '{station}': effective servers calibrated by simulation to the observed waits and "
                             "abandonment; {n} of {of} hours below the raw concurrency (which counts everyone who ever "
                             "served)",
                       "zh": "站点“{station}”：有效服务人数已按实测等候与离队用模拟校准；{of} 个时段中 {n} 个低于原始并发数"
                             "（原始并发数把所有曾服务过的人都算在内）"},
    "no_results_words": {
        "zh": "所搜的 {docs} 条内容（培训课程，蓝图中的行动指引与标准）都不含这些词：{words}。"
              "换个说法试试，例如一个关键时刻的名称：{example}。",
        "en": "No item of the {docs} searched (training modules, the blueprint's guidelines and standards) holds "
              "these words: {words}. Try other words, such as a moment's name: {example}."},
    "no_results_empty": {
        "zh": "没有可搜索的内容：培训库中没有这项服务的课程，蓝图的关键时刻也还没有写行动指引或标准（可在蓝图页面添加）。",
        "en": "There is nothing to search: the training library has no module for this service and the blueprint's "
              "moments have no guidelines or standards yet (add them on the blueprint page)."},
    "no_results_common": {
        "zh": "“{q}”只有常用词，没有可搜索的词。换个说法试试，例如一个关键时刻的名称：{example}。",
        "en": "'{q}' holds only common words, none to search for. Try other words, such as a moment's name: "
              "{example}."},
}


# Words of pages and chart axes ("*_axis" where an axis says more than a page heading).
WORDS: dict[str, dict[Lang, str]] = {
    "app": {"zh": "峰终体验管理", "en": "Peak-end experience"},
    "whatif": {"zh": "假设推演", "en": "What if"},
    "whatif_intro": {"zh": "按本厅近 {days} 天的数据拟合现状，改动窗口或策略后与 {day} 的实况并排比较"
                           "（{reps} 次模拟的均值 ± 95% 区间）。",
                     "en": "The hall as it runs now, fitted from its last {days} days; change counters or a policy and "
                           "compare with {day} as it happened (mean of {reps} simulations ± 95% interval)."},
    "servers_added": {"zh": "每个时段增减人数", "en": "Servers added in every hour"},
    "servers_added_help": {"zh": "正数增开、负数减少窗口，对营业时间内每个小时都生效（如 1 = 每小时多开 1 个）。",
                           "en": "A positive number opens that many more servers in every open hour, a negative "
                                 "one closes some (1 = one more server all day)."},
    "closes_help": {"zh": "提前或推迟关门：之后到达的客户不再进厅。", "en": "Close earlier or later: customers "
                                                                         "arriving after it are not let in."},
    "station": {"zh": "服务台", "en": "Station"},
    "servers_now": {"zh": "现有人数（按时段，拟合所得）", "en": "Servers now, by hour (as fitted)"},
    "divert_at": {"zh": "每窗口排队达到此人数时引导办理自助（空为不分流）",
                  "en": "Steer suited business to self-service at this many waiting per counter (empty: never)"},
    "closes_at": {"zh": "关门时间（时）", "en": "Closing hour"},
    "simulate": {"zh": "推演", "en": "Simulate"},
    "series": {"zh": "情景", "en": "Scenario"},
    "series_today": {"zh": "实况", "en": "As it happened"},
    "series_now": {"zh": "现状模型", "en": "Model now"},
    "series_whatif": {"zh": "假设", "en": "What if"},
    "mean_wait": {"zh": "平均等候（分钟）", "en": "Mean wait (min)"},
    "within_share": {"zh": "{wait} 分钟内办理占比", "en": "Served within {wait} min"},
    "left_queue": {"zh": "离队占比", "en": "Left the queue"},
    "predicted_rei": {"zh": "记忆体验指数 REI", "en": "REI"},
    "hour": {"zh": "时段", "en": "Hour"},
    "computed_ago": {"zh": "{age}前计算", "en": "computed {age} ago"},
    "being_computed": {"zh": "正在计算，完成后本页自动更新", "en": "Being computed: this page updates itself when it is done"},
    "newer_computing": {"zh": "正在计算更新的结果", "en": "A newer result is being computed"},
    "nothing_computed": {"zh": "尚无计算结果", "en": "Nothing computed yet"},
    "job_failed_shown": {"zh": "计算失败：{why}", "en": "The computation failed: {why}"},
    "cancel_job": {"zh": "取消", "en": "Cancel"},
    "seconds_short": {"zh": "{n} 秒", "en": "{n} s"},
    "minutes_short": {"zh": "{n} 分钟", "en": "{n} min"},
    "hours_short": {"zh": "{n} 小时", "en": "{n} h"},
    "days_short": {"zh": "{n} 天", "en": "{n} d"},
    "no_whatif": {"zh": "本厅还没有可拟合的来访数据：{why}", "en": "No visits of this hall to fit yet: {why}"},
    "no_stations": {"zh": "没有可增减人数的服务台：数据中没有哪个关键时刻记录了等候，也没有哪个紧跟在排队之后。",
                    "en": "No station to add servers to: no moment in the data records a wait or follows a queue."},
    "whatif_misfit": {"zh": "模型没能还原这一天：模型的平均等候为 {model:.1f} 分钟，实际为 {happened:.1f} 分钟。在模型能还原之前，"
                            "不要依据它推演的改动做决定。",
                      "en": "The model does not reproduce this day: a mean wait of {model:.1f} min against "
                            "{happened:.1f} as it happened. Do not decide on its what-ifs until it does."},
    "no_waits": {"zh": "等候显示为“–”：数据中没有等候时间（本厅的触点都没有记录等候时长），实况和模拟都无从得出等候。",
                 "en": "Waits show “–”: there are no waiting times in the data (none of this hall's touches records "
                       "a wait), so neither the day as it happened nor the simulation can tell one."},
    "bad_change": {"zh": "改动有误：{why}", "en": "The change cannot be used: {why}"},
    "network": {"zh": "网络总览", "en": "Network"},
    "menu": {"zh": "菜单", "en": "Menu"},
    "case_open": {"zh": "待处理", "en": "open"},
    "case_resolved": {"zh": "已办结", "en": "resolved"},
    "trail_opened": {"zh": "开单", "en": "opened"},
    "trail_comment": {"zh": "备注", "en": "comment"},
    "trail_reassign": {"zh": "转派", "en": "reassigned"},
    "trail_resolve": {"zh": "办结", "en": "resolved"},
    "trail_remind": {"zh": "提醒", "en": "reminded"},
    "trail_escalate": {"zh": "升级", "en": "escalated"},
    # survey answers (the targets the model comparison predicts), as pages name them
    "answer_overall": {"zh": "总体满意度", "en": "overall satisfaction"},
    "answer_recommend": {"zh": "推荐意愿", "en": "likelihood to recommend"},
    "answer_repurchase": {"zh": "再次购买意愿", "en": "intent to buy again"},
    "answer_relationship": {"zh": "客户关系评价", "en": "rating of the relationship"},
    "answer_switch_resist": {"zh": "不会转投他家", "en": "staying with us"},
    "answer_promoter": {"zh": "推荐者（推荐意愿 ≥ 9）", "en": "being a promoter (recommend ≥ 9)"},
    "page_of": {"zh": "第 {page} 页，共 {pages} 页", "en": "page {page} of {pages}"},
    "page_prev": {"zh": "上一页", "en": "Previous"},
    "page_next": {"zh": "下一页", "en": "Next"},
    "blueprint": {"zh": "服务蓝图", "en": "Blueprint"},
    "quality": {"zh": "数据质量", "en": "Data quality"},
    "parked": {"zh": "实时规则搁置的来访", "en": "Visits the live rules set aside"},
    "rule_holds": {"zh": "峰终定律在这里成立吗？", "en": "Does the peak-end rule hold here?"},
    "verdicts_none": {"zh": "问卷答案太少（每项至少 20 份且有变化），尚无法判断。",
                      "en": "Too few survey answers to tell yet (at least 20 per answer, and they must vary)."},
    "outcome_of_row": {"zh": "处理", "en": "What happened"},
    "action_rejected": {"zh": "整行隔离", "en": "row quarantined"},
    "action_warned": {"zh": "该触点舍弃，其余入库", "en": "touch dropped, rest stored"},
    "conflicts": {"zh": "冲突与更正", "en": "Conflicts and corrections"},
    "conflicts_none": {"zh": "没有冲突：没有以不同内容重复发送的编号。", "en": "No conflicts: no id was sent again with different content."},
    "event": {"zh": "事件", "en": "Event"},
    "whole_record": {"zh": "完整记录", "en": "whole record"},
    "stored_version": {"zh": "已存版本", "en": "Stored version"},
    "sent_version": {"zh": "发送版本", "en": "Sent version"},
    "action_conflict": {"zh": "冲突：保留已存版本", "en": "conflict: stored version kept"},
    "action_replaced": {"zh": "已更正：旧版本留档", "en": "corrected: old version kept here"},
    "parked_none": {"zh": "没有搁置的来访：实时规则在所有来访上都运行正常。", "en": "No visit set aside: the live rules ran on every visit."},
    "parked_at": {"zh": "搁置时间", "en": "Set aside at"},
    "login": {"zh": "登录", "en": "Log in"},
    "logout": {"zh": "退出", "en": "Log out"},
    "username": {"zh": "用户名", "en": "Username"},
    "password": {"zh": "密码", "en": "Password"},
    "login_wait": {"zh": "失败次数过多，请稍后再试。", "en": "Too many failed attempts: try again later."},
    "bad_login": {"zh": "用户名或密码错误", "en": "Wrong username or password"},
    "hall": {"zh": "营业厅", "en": "Hall"},
    "customer": {"zh": "客户", "en": "Customer"},
    "cases": {"zh": "回访工单", "en": "Cases"},
    "case": {"zh": "工单", "en": "Case"},
    "case_kind": {"zh": "类型", "en": "Kind"},
    "owner": {"zh": "负责人", "en": "Owner"},
    "deadline": {"zh": "期限", "en": "Deadline"},
    "status": {"zh": "状态", "en": "Status"},
    "opened": {"zh": "开单", "en": "Opened"},
    "escalated_to": {"zh": "已升级至", "en": "Escalated to"},
    "resolution": {"zh": "办结说明", "en": "Resolution"},
    "trail": {"zh": "处理记录", "en": "Audit trail"},
    "comment": {"zh": "备注", "en": "Comment"},
    "reassign": {"zh": "转派给", "en": "Reassign to"},
    "resolve": {"zh": "办结", "en": "Resolve"},
    "actor": {"zh": "操作人", "en": "By"},
    "action": {"zh": "操作", "en": "Action"},
    "open_cases": {"zh": "待办", "en": "Open"},
    "all_cases": {"zh": "全部", "en": "All"},
    "no_cases": {"zh": "没有工单", "en": "No cases"},
    "not_done": {"zh": "操作未完成", "en": "Not done"},
    "live": {"zh": "实时服务", "en": "Live service"},
    "alerts_today": {"zh": "今日补救提醒", "en": "Recovery alerts today"},
    "advice_today": {"zh": "今日分流建议", "en": "Diversion advice today"},
    "cases_opened": {"zh": "今日新工单", "en": "Cases opened today"},
    "resolved_in_time": {"zh": "按时办结", "en": "Resolved in time"},
    "overdue": {"zh": "逾期未办", "en": "Overdue"},
    "ticket": {"zh": "票号", "en": "Ticket"},
    "time": {"zh": "时间", "en": "Time"},
    "message": {"zh": "内容", "en": "Message"},
    "segment": {"zh": "客群", "en": "Segment"},
    "arrival": {"zh": "到店", "en": "Arrived"},
    "arrival_from_touch": {"zh": "（按第一个触点的时间）", "en": "(from its first touch)"},
    "arrival_unknown": {"zh": "（来访和触点都没有时间）", "en": "(neither the visit nor its touches have a time)"},
    "visit_no_touches": {"zh": "这次来访没有触点记录，因此没有时间线，也算不出 REI、峰值和终值。",
                         "en": "This visit has no touches recorded: there is no timeline, and no REI, peak or end."},
    "rei": {"zh": "记忆体验指数", "en": "REI"},
    "grade": {"zh": "等级", "en": "Grade"},
    "trend": {"zh": "近 7 天变化", "en": "7-day trend"},
    "visits": {"zh": "来访", "en": "Visits"},
    "touches": {"zh": "触点", "en": "Touches"},
    "today": {"zh": "今日实况", "en": "Today"},
    "latest_day_seen": {"zh": "最近有数据的一天", "en": "Latest day with data"},
    "day": {"zh": "日期", "en": "Day"},
    "low_share": {"zh": "低评分占比", "en": "Low-rating share"},
    "unresolved": {"zh": "未解决", "en": "Unresolved"},
    "heatmap": {"zh": "各关键时刻平均体验", "en": "Mean experience by moment"},
    "falls": {"zh": "峰值与终点落在哪里", "en": "Where peaks and ends fall"},
    "lift": {"zh": "改进收益排名（先做哪里）", "en": "Lift ranking (where to act first)"},
    "moment": {"zh": "关键时刻", "en": "Moment"},
    "standards": {"zh": "标准", "en": "Standards"},
    "guidelines": {"zh": "行动指引", "en": "Action guidelines"},
    "distribution": {"zh": "体验值分布", "en": "Distribution of experience"},
    "worst": {"zh": "近期最差来访", "en": "Worst recent visits"},
    "visit": {"zh": "来访", "en": "Visit"},
    "timeline": {"zh": "来访时间线", "en": "Visit timeline"},
    "peak": {"zh": "峰值", "en": "Peak"},
    "end": {"zh": "终点", "en": "End"},
    "export": {"zh": "导出", "en": "Export"},
    "not_scored": {"zh": "尚未评分：请运行 peakend score", "en": "Not scored yet: run peakend score"},
    "save": {"zh": "校验并保存新版本", "en": "Check and save as a new version"},
    "saved": {"zh": "已保存为第 {n} 版", "en": "Saved as version {n}"},
    "problems": {"zh": "蓝图有问题，未保存：", "en": "The blueprint has problems and was not saved:"},
    "versions": {"zh": "版本记录", "en": "Versions"},
    "edit": {"zh": "编辑蓝图（YAML）", "en": "Edit the blueprint (YAML)"},
    "lane": {"zh": "泳道", "en": "Lane"},
    "source": {"zh": "来源", "en": "Source"},
    "row": {"zh": "行", "en": "Row"},
    "field": {"zh": "字段", "en": "Field"},
    "reason": {"zh": "原因", "en": "Reason"},
    "not_found": {"zh": "找不到该页面，或您无权查看", "en": "Not found, or not yours to see"},
    "forbidden": {"zh": "您的角色无权查看此页", "en": "Your role may not see this page"},
    "role_peak": {"zh": "峰值", "en": "peak"},
    "role_end": {"zh": "终点", "en": "end"},
    "role_key": {"zh": "关键", "en": "key"},
    "mean_e": {"zh": "平均 e", "en": "Mean e"},
    "peak_share": {"zh": "峰值占比", "en": "Peak share"},
    "end_share": {"zh": "终点占比", "en": "End share"},
    "neg_share": {"zh": "负向峰值中落在此处的占比", "en": "Share of negative peaks here"},
    "lift_pts": {"zh": "改进收益", "en": "Lift"},
    "rei_axis": {"zh": "记忆体验指数 REI", "en": "Remembered Experience Index (REI)"},
    "mean_e_axis": {"zh": "平均体验值 e", "en": "Mean experience e"},
    "share": {"zh": "占来访比例", "en": "Share of visits"},
    "kind": {"zh": "类型", "en": "Kind"},
    "pos_peak": {"zh": "正向峰值", "en": "Positive peak"},
    "neg_peak": {"zh": "负向峰值", "en": "Negative peak"},
    "lift_axis": {"zh": "改进收益（REI 点）", "en": "Lift (REI points)"},
    "model": {"zh": "模型", "en": "Model"},
    "score": {"zh": "交叉验证得分", "en": "Cross-validated score"},
    "target": {"zh": "调查答案", "en": "Survey answer"},
    "step": {"zh": "步骤", "en": "Step"},
    "e": {"zh": "体验值 e", "en": "Experience e"},
    "touches_axis": {"zh": "触点数", "en": "Touches"},
    "loyalty": {"zh": "忠诚度", "en": "Loyalty"},
    "comments": {"zh": "客户原声", "en": "Comments"},
    "customer_words": {"zh": "客户原话", "en": "What they wrote"},
    "training": {"zh": "培训搜索", "en": "Training search"},
    "staff_cards": {"zh": "员工记分卡", "en": "Staff scorecards"},
    "coaching": {"zh": "培训辅导及其效果（双重差分，95% 区间）",
                 "en": "Coaching and whether it worked (difference in differences, 95% interval)"},
    "module": {"zh": "培训模块", "en": "Module"},
    "coaching_effect": {"zh": "体验值变化", "en": "Change in e"},
    "verdict_detectable": {"zh": "有可检测的变化", "en": "a detectable change"},
    "verdict_no_change": {"zh": "尚无可检测的变化", "en": "no detectable change yet"},
    "verdict_too_few": {"zh": "尚无可检测的变化（触点太少）", "en": "no detectable change yet (too few touches)"},
    "no_coaching": {"zh": "还没有培训记录", "en": "No coaching recorded yet"},
    "assign": {"zh": "记录培训", "en": "Record training"},
    "floor_map": {"zh": "触点地图", "en": "Touchpoint map"},
    "floor_note": {"zh": "各区域按客户在该处的平均体验值着色（红：差，蓝：好），红色边框越粗，该处成为来访负向峰值的比例越高；彩线为七条动线，红点为今日的补救提醒数。布局在蓝图的 layout 中修改。",
                   "en": "Each zone coloured by what customers felt there (mean e: red bad, blue good); the thicker its "
                         "red edge, the larger its share of visits' negative peaks; the coloured lines are the seven flow-lines, the red pins today's "
                         "recovery alerts. Edit the layout under `layout` in the blueprint."},
    "bp_edit": {"zh": "在表单中编辑蓝图", "en": "Edit the blueprint in forms"},
    "bp_view": {"zh": "泳道图", "en": "Swim lanes"},
    "bp_download": {"zh": "下载 YAML", "en": "Download YAML"},
    "bp_lanes_note": {"zh": "泳道 × 阶段：每个关键时刻所在的位置；红色为峰值时刻，蓝色为终点。",
                      "en": "Lane × stage: where each key moment sits; red marks the peaks, blue the end."},
    "bp_yaml_note": {"zh": "导入（粘贴）或导出蓝图的 YAML；日常修改请用表单编辑器。", "en": "Import (paste) or export the blueprint "
                     "as YAML; for everyday edits use the form editor."},
    "bp_problems": {"zh": "蓝图有以下问题（与 peakend blueprint check 相同的检查）：",
                    "en": "The blueprint has these problems (the checks of peakend blueprint check):"},
    "bp_check": {"zh": "校验", "en": "Check"},
    "bp_general": {"zh": "基本信息", "en": "General"},
    "bp_name": {"zh": "名称", "en": "Name"},
    "bp_version": {"zh": "版本", "en": "Version"},
    "bp_moments": {"zh": "关键时刻（按旅程顺序）", "en": "Key moments (in journey order)"},
    "bp_moments_note": {"zh": "展开一个时刻编辑；↑↓ 调整顺序，✕ 删除。标准、需求与指引每行一条：中文 | English。",
                        "en": "Open a moment to edit it; ↑↓ reorder, ✕ removes. Standards, needs and guidelines: one "
                              "per line, 中文 | English."},
    "bp_up": {"zh": "上移", "en": "Move up"},
    "bp_down": {"zh": "下移", "en": "Move down"},
    "bp_remove": {"zh": "删除", "en": "Remove"},
    "bp_role": {"zh": "角色", "en": "Role"},
    "bp_lane": {"zh": "泳道", "en": "Lane"},
    "bp_stage": {"zh": "阶段", "en": "Stage"},
    "bp_zone": {"zh": "区域", "en": "Zone"},
    "bp_flow": {"zh": "流", "en": "Flow"},
    "bp_importance": {"zh": "重要性（1–5）", "en": "Importance (1–5)"},
    "bp_needs": {"zh": "客户需求", "en": "Customer needs"},
    "bp_standards": {"zh": "服务标准", "en": "Standards"},
    "bp_guidelines": {"zh": "行动指引", "en": "Action guidelines"},
    "bp_keywords": {"zh": "评论关键词", "en": "Comment keywords"},
    "bp_peak_question": {"zh": "峰值追问", "en": "Peak question"},
    "bp_add_moment": {"zh": "添加关键时刻", "en": "Add a moment"},
    "bp_routes": {"zh": "动线", "en": "Flow-lines (routes)"},
    "bp_route_moments": {"zh": "经过的时刻（按顺序，逗号分隔）", "en": "Moments passed (in order, comma-separated)"},
    "bp_add_route": {"zh": "添加动线", "en": "Add a route"},
    "bp_live": {"zh": "实时规则", "en": "Live rules"},
    "bp_alert_e": {"zh": "补救提醒阈值 e ≤", "en": "Recovery alert at e ≤"},
    "bp_negative_end_e": {"zh": "负向终点 e ≤", "en": "Negative end at e ≤"},
    "bp_case_complaint": {"zh": "投诉工单", "en": "Complaint case"},
    "bp_case_unresolved": {"zh": "未解决工单", "en": "Unresolved case"},
    "bp_case_negative_end": {"zh": "负向终点工单", "en": "Negative-end case"},
    "bp_deadline_h": {"zh": "时限（小时）", "en": "deadline (h)"},
    "bp_remind_h": {"zh": "提前提醒（小时）", "en": "remind before (h)"},
    "bp_survey": {"zh": "发送短信调查", "en": "Send SMS surveys"},
    "bp_delay_min": {"zh": "离厅后延迟（分钟）", "en": "Delay after leaving (min)"},
    "bp_fatigue_days": {"zh": "同一客户间隔（天）", "en": "Days between surveys of a customer"},
    "bp_quiet": {"zh": "免打扰时段", "en": "Quiet hours"},
    "bp_per_counter": {"zh": "分流：每窗口等候人数", "en": "Divert at waiting per counter"},
    "import_by_field": {"zh": "字段 {field}：{n} 行。例如：", "en": "Field {field}: {n} rows. For example:"},
    "import_every_row": {"zh": "逐行列出（{n} 行）", "en": "Every row ({n})"},
    "adm_title": {"zh": "操作日志", "en": "Activity log"},
    "act_blueprint_saved": {"zh": "保存蓝图", "en": "blueprint saved"},
    "act_case_reassigned": {"zh": "工单改派", "en": "case reassigned"},
    "act_customer_export": {"zh": "导出客户数据", "en": "customer data exported"},
    "act_erasure": {"zh": "删除客户数据", "en": "customer erased"},
    "act_export": {"zh": "下载表格", "en": "table downloaded"},
    "act_login": {"zh": "登录", "en": "logged in"},
    "act_login_failed": {"zh": "登录失败", "en": "login failed"},
    "act_mapping_saved": {"zh": "保存映射", "en": "mapping saved"},
    "act_retention": {"zh": "按保留期清理", "en": "retention applied"},
    "act_token_added": {"zh": "新建令牌", "en": "token added"},
    "act_user_saved": {"zh": "保存用户", "en": "user saved"},
    "adm_nav": {"zh": "操作日志", "en": "Activity"},
    "adm_chain_ok": {"zh": "哈希链完整：{n} 条记录均未被改动或删除。", "en": "The hash chain holds: none of its {n} rows was changed or removed."},
    "adm_chain_broken": {"zh": "哈希链在第 {n} 条断开：该行或其前一行被改动或删除。", "en": "The hash chain breaks at row {n}: it or the row before it was changed or removed."},
    "adm_action": {"zh": "操作", "en": "Action"},
    "adm_show": {"zh": "显示", "en": "Show"},
    "adm_when": {"zh": "时间", "en": "When"},
    "adm_who": {"zh": "操作人", "en": "Who"},
    "adm_target": {"zh": "对象", "en": "Target"},
    "adm_detail": {"zh": "详情", "en": "Detail"},
    "adm_address": {"zh": "地址", "en": "Address"},
    "adm_none": {"zh": "还没有记录（或没有这种操作）。", "en": "Nothing recorded yet (or no action of this kind)."},
    "adm_erase": {"zh": "按客户要求删除其数据", "en": "Erase a customer's data on their request"},
    "adm_erase_help": {"zh": "输入客户的电话号码或客户标识两次。其标识将被匿名化，评论、短信回复与工单备注被删除；评分与统计保留。操作日志只记录次数，不记录电话。", "en": "Type the customer's phone number or customer key twice. Their key is anonymised; their comments, SMS replies and case notes are removed; scores and figures stay. The activity log records the counts, never the phone."},
    "adm_erase_who": {"zh": "电话号码或客户标识", "en": "Phone number or customer key"},
    "adm_erase_again": {"zh": "再输入一次", "en": "The same again"},
    "adm_erase_go": {"zh": "删除该客户的数据", "en": "Erase this customer's data"},
    "adm_erase_differ": {"zh": "两次输入不一致（或为空）：没有删除任何数据。", "en": "The two entries differ (or are empty): nothing was erased."},
    "adm_erased": {"zh": "已删除：{visits} 次来访已匿名化，{comments} 条评论、{replies} 条短信回复、{notes} 条工单备注已删除。", "en": "Erased: {visits} visits anonymised; {comments} comments, {replies} SMS replies and {notes} case notes removed."},
    "superseded": {"zh": "已被之后的导入取代的 {n} 条隔离记录（保留备查）", "en": "{n} quarantined rows superseded by a later import (kept for the record)"},
    "bp_queue_moment": {"zh": "排队从此时刻读取（取号）", "en": "Queue read at this moment (ticket taken)"},
    "bp_counter_moments": {"zh": "窗口服务时刻（逗号分隔）", "en": "Counter moments (comma-separated)"},
    "bp_removed": {"zh": "已移除「{moment}」（保存后生效）。", "en": "Removed “{moment}” (takes effect when saved)."},
    "bp_removed_from": {"zh": "它也已从以下位置移除或改指：", "en": "It was also taken out of, or re-pointed in:"},
    "bp_predicted_wait": {"zh": "分流：预计等候（分钟）", "en": "Divert at predicted wait (min)"},
    "bp_grades": {"zh": "成熟度等级", "en": "Maturity grades"},
    "bp_cases_in_time": {"zh": "工单按时率", "en": "Cases in time"},
    "bp_add_grade": {"zh": "添加等级", "en": "Add a grade"},
    "bp_lists": {"zh": "泳道、阶段、区域与流", "en": "Lanes, stages, zones and flows"},
    "bp_lists_note": {"zh": "每行一项：id | 中文 | English。", "en": "One per line: id | 中文 | English."},
    "bp_lanes": {"zh": "泳道", "en": "Lanes"},
    "bp_stages": {"zh": "阶段", "en": "Stages"},
    "bp_zones": {"zh": "区域", "en": "Zones"},
    "bp_flows": {"zh": "流", "en": "Flows"},
    "bp_saved_by": {"zh": "保存者", "en": "Saved by"},
    "bp_from": {"zh": "从", "en": "From"},
    "bp_to": {"zh": "到", "en": "To"},
    "bp_compare": {"zh": "比较", "en": "Compare"},
    "bp_rollback": {"zh": "回滚到此版本", "en": "Roll back to this"},
    "bp_diff": {"zh": "差异", "en": "Differences"},
    "bp_same": {"zh": "两个版本相同", "en": "The two versions are the same"},
    "bp_no_versions": {"zh": "还没有保存过版本：运行的是内置蓝图", "en": "No version saved yet: the built-in blueprint runs"},
    "import_title": {"zh": "导入文件", "en": "Import a file"},
    "load_demo": {"zh": "载入演示数据", "en": "Load the demo"},
    "import_step_upload": {"zh": "选择文件", "en": "Choose a file"},
    "import_step_map": {"zh": "对应列", "en": "Map the columns"},
    "import_step_run": {"zh": "导入", "en": "Import"},
    "import_intro": {"zh": "CSV、JSON Lines、Parquet 或 Excel（.xlsx、.xls、.ods）；中文编码自动识别。上传后可预览、对应列、再导入。",
                     "en": "CSV, JSON Lines, Parquet or Excel (.xlsx, .xls, .ods); Chinese encodings are detected. "
                           "After the upload: a preview, the column mapping, then the import."},
    "import_upload": {"zh": "上传", "en": "Upload"},
    "import_encoding": {"zh": "识别的编码", "en": "Encoding detected"},
    "import_map_intro": {"zh": "每列下方选择它对应的字段（已按列名建议，含中文同义词）；不需要的列选“忽略”。",
                         "en": "Under each column, choose the field it holds (suggested from its name, Chinese "
                               "names included); leave columns you do not need on 'ignore'."},
    "import_sheet": {"zh": "工作表", "en": "Sheet"},
    "import_show": {"zh": "显示", "en": "Show"},
    "import_use_saved": {"zh": "使用已保存的对应", "en": "Use a saved mapping"},
    "import_fill": {"zh": "填入", "en": "Fill in"},
    "import_kind": {"zh": "记录类型", "en": "Kind of rows"},
    "import_kind_auto": {"zh": "按列自动判断", "en": "told by the columns"},
    "kind_touch": {"zh": "触点", "en": "touches"},
    "kind_visit": {"zh": "来访", "en": "visits"},
    "kind_survey": {"zh": "调查答卷", "en": "surveys"},
    "kind_audit": {"zh": "暗访", "en": "audits"},
    "import_ignore": {"zh": "（忽略）", "en": "(ignore)"},
    "import_suggested": {"zh": "建议把握", "en": "suggested"},
    "import_values": {"zh": "答案怎么读", "en": "How the answers read"},
    "import_scale": {"zh": "评分量表", "en": "Rating scale"},
    "import_missing": {"zh": "表示“未作答”的代码", "en": "Codes meaning no answer"},
    "import_words": {"zh": "代表数值的词", "en": "Words that stand for values"},
    "import_fractions": {"zh": "接受量表点之间的评分（如 1–5 上的 3.5）", "en": "Accept ratings between a scale's points (3.5 on 1–5)"},
    "import_paste": {"zh": "或粘贴完整的对应（YAML）", "en": "Or paste a whole mapping (YAML)"},
    "import_paste_note": {"zh": "宽表（每次来访一行、每个时刻一列）和暗访表（每次暗访一行、每个检查项一列）用 YAML 对应，格式同 peakend ingest --mapping；填写后以它为准。",
                          "en": "Wide exports (a row per visit, a column per moment) and mystery-shopping sheets (a row per "
                                "audited visit, a column per item) are mapped in YAML, as for peakend ingest --mapping; "
                                "when given, it is used instead of the columns above."},
    "import_save_as": {"zh": "保存此对应，名称", "en": "Save this mapping as"},
    "import_save_hint": {"zh": "如：排队系统导出", "en": "e.g. queue system export"},
    "import_run": {"zh": "开始导入", "en": "Import"},
    "import_uploaded": {"zh": "已上传", "en": "uploaded"},
    "import_running": {"zh": "导入中…", "en": "importing…"},
    "import_done": {"zh": "完成", "en": "done"},
    "import_failed": {"zh": "失败", "en": "failed"},
    "import_rows": {"zh": "读取行数", "en": "Rows read"},
    "import_stored": {"zh": "已入库", "en": "Stored"},
    "import_already": {"zh": "此前已有", "en": "Already there"},
    "import_warned": {"zh": "带警告入库", "en": "Stored with a warning"},
    "import_quarantined": {"zh": "已隔离", "en": "Quarantined"},
    "import_kept": {"zh": "被隔离的行（文件、行号、字段、原因）", "en": "Rows kept in quarantine (row, field, why)"},
    "import_row": {"zh": "行", "en": "Row"},
    "import_field": {"zh": "列 / 字段", "en": "Column / field"},
    "import_another": {"zh": "再导入一个文件", "en": "Import another file"},
    "audit_form": {"zh": "暗访录入", "en": "Audit form"},
    "audit_rates": {"zh": "暗访通过率", "en": "Audit pass rates"},
    "audit_intro": {"zh": "一次暗访逐项记录：通过、未通过或未观察到（未观察到的不保存）。同一次暗访重复提交只保存一次。",
                    "en": "One audited visit, item by item: pass, fail or not seen (items not seen are not saved). "
                          "Sending the same visit twice saves it once."},
    "audit_when": {"zh": "暗访时间", "en": "Visited at"},
    "audit_staff": {"zh": "接待员工（工号）", "en": "Staff member who served (id)"},
    "a_pass": {"zh": "通过", "en": "Pass"},
    "a_fail": {"zh": "未通过", "en": "Fail"},
    "a_unseen": {"zh": "未观察到", "en": "Not seen"},
    "note": {"zh": "备注", "en": "Note"},
    "audit_save": {"zh": "保存暗访", "en": "Save the audit"},
    "audit_saved": {"zh": "已保存 {stored} 项（其中 {failed} 项未通过），{unseen} 项未观察到，{dup} 项此前已保存。",
                    "en": "Saved {stored} items ({failed} failed), {unseen} not seen, {dup} saved before."},
    "audit_nothing": {"zh": "请至少标记一项为通过或未通过。", "en": "Mark at least one item pass or fail."},
    "audit_refused": {"zh": "以下几项未保存（已隔离，可在数据质量页查看）：", "en": "These items were not saved (kept in quarantine):"},
    "rates_moment": {"zh": "按关键时刻", "en": "By moment"},
    "rates_item": {"zh": "按检查项", "en": "By item"},
    "rates_staff_id": {"zh": "按员工", "en": "By staff member"},
    "rates_week": {"zh": "按周（周一开始）", "en": "By week (from Monday)"},
    "rates_note": {"zh": "通过率带 Wilson 95% 区间；暗访次数少时区间很宽。",
                   "en": "Pass rates with Wilson 95% intervals; with few audits the interval is wide."},
    "any_moment": {"zh": "服务节点（任何时刻）", "en": "Service nodes (any moment)"},
    "audits_count": {"zh": "检查数", "en": "Checks"},
    "no_audit_rows": {"zh": "还没有暗访记录", "en": "No audits yet"},
    "item": {"zh": "检查项", "en": "Item"},
    "audits_vs": {"zh": "暗访与客户感受对照（95% 区间）", "en": "Audits against customers (95% intervals)"},
    "bad_share": {"zh": "客户不满的触点占比", "en": "Share of touches that felt bad"},
    "no_audits": {"zh": "还没有针对关键时刻标准的暗访", "en": "No audits of the moments' standards yet"},
    "flag_auditors_miss": {"zh": "暗访通过，客户却不满：检查的标准不是客户感受到的",
                           "en": "Audits pass, customers feel it: the standard checked is not what they feel"},
    "flag_customers_content": {"zh": "暗访不过，客户却满意：这条标准对客户不重要",
                               "en": "Audits fail, customers content: a standard that does not matter to them"},
    "staff_note": {"zh": "公平比较：每人的平均体验值按经验贝叶斯向本厅均值收缩（带 95% 区间）；少于 {least} 个触点不参与排名。",
                   "en": "A fair comparison: each mean e is shrunk toward the hall's mean by empirical Bayes (with its "
                         "95% interval); fewer than {least} touches are shown but not ranked."},
    "no_cards": {"zh": "还没有记录员工的触点", "en": "No touches with a staff member yet"},
    "staff_id": {"zh": "员工", "en": "Staff"},
    "rank": {"zh": "排名", "en": "Rank"},
    "fair_e": {"zh": "收缩后 e [95%]", "en": "Shrunk e [95%]"},
    "neg_peak_of_theirs": {"zh": "其触点成为负向峰值", "en": "Their touch the negative peak"},
    "end_of_theirs": {"zh": "其触点为终点", "en": "Their touch the end"},
    "cases_in_time": {"zh": "按时关闭 / 首问工单", "en": "Cases closed in time / owned"},
    "audit_pass": {"zh": "暗访通过率", "en": "Audit pass rate"},
    "too_few": {"zh": "太少", "en": "too few"},
    "train_hint": {"zh": "搜索培训，如：投诉处理", "en": "Search training, e.g. complaints"},
    "train_hint_short": {"zh": "搜索培训", "en": "Search training"},
    "what_to_train": {"zh": "培训什么", "en": "What to train"},
    "modules": {"zh": "全部培训模块", "en": "All training modules"},
    "for_moments": {"zh": "适用时刻", "en": "For moments"},
    "no_results": {"zh": "没有找到", "en": "Nothing found"},
    "kind_guideline": {"zh": "蓝图行动指引", "en": "blueprint guideline"},
    "kind_standard": {"zh": "蓝图标准", "en": "blueprint standard"},
    "peak_replies": {"zh": "问及本次峰值时刻的回复，与该触点自身的体验值对照",
                     "en": "Replies to the question about the visit's own peak, beside that touch's own e"},
    "replies": {"zh": "回复", "en": "Replies"},
    "e_behind": {"zh": "该触点平均 e（正面 / 负面回复）", "en": "Touch's mean e (positive / negative replies)"},
    "agree": {"zh": "与触点一致", "en": "Agree with the touch"},
    "said_about": {"zh": "客户对这个时刻说了什么（最差在前）", "en": "What customers said about this moment (worst first)"},
    "themes_untied": {"zh": "这 {n} 条评论中没有哪条是对应到某个关键时刻的抱怨：评论提到某个时刻的关键词时才归到那个时刻。",
                      "en": "Comments: {n}; none is a complaint tied to a key moment (a comment is tied to a "
                            "moment when it names one of the moment's keywords)."},
    "themes_no_keywords": {"zh": "蓝图中的时刻还没有评论关键词：管理员可在“编辑蓝图”中为每个时刻添加。",
                           "en": "The blueprint's moments have no comment keywords yet: an admin adds them on "
                                 "the blueprint's edit page."},
    "no_comments": {"zh": "没有评论", "en": "No comments"},
    "polarity": {"zh": "倾向", "en": "Polarity"},
    "label_neg": {"zh": "负面", "en": "negative"},
    "label_neu": {"zh": "中性", "en": "neutral"},
    "label_pos": {"zh": "正面", "en": "positive"},
    "search": {"zh": "搜索", "en": "Search"},
    "search_hint": {"zh": "搜索评论，如：排队 太慢", "en": "Search comments, e.g. queue slow"},
    "all_halls": {"zh": "全部营业厅", "en": "All halls"},
    "results": {"zh": "搜索结果", "en": "Results"},
    "themes": {"zh": "反复出现的抱怨（按营业厅与时刻）", "en": "Recurring complaints, by hall and moment"},
    "negative_mentions": {"zh": "负面提及", "en": "Negative mentions"},
    "theme": {"zh": "主题词（评论数）", "en": "Theme (comments)"},
    "examples": {"zh": "例句", "en": "Examples"},
    "importance_axis": {"zh": "重要性（解释方差份额 %）", "en": "Importance (share of explained variance, %)"},
    "loyalty_index": {"zh": "忠诚度指数（0–100）", "en": "Loyalty index (0–100)"},
    "nps_card": {"zh": "净推荐值 NPS", "en": "Net Promoter Score"},
    "nps_shares": {"zh": "推荐 / 中立 / 贬损", "en": "promoters / passives / detractors"},
    "back_within": {"zh": "{days} 天内回访", "en": "Back within {days} days"},
    "lapsed_regulars": {"zh": "流失的常客", "en": "Lapsed regulars"},
    "loyalty_none": {"zh": "还没有调查答案或已知客户", "en": "No survey answers or known customers yet"},
    "loyalty_costs": {"zh": "体验不好的代价", "en": "What a bad moment costs"},
    "loyalty_window_note": {"zh": "数据覆盖时间较短：回访按 {days} 天计算（蓝图设定 {asked} 天）",
                            "en": "The data cover a short span: returns are read within {days} days "
                                  "(the blueprint asks {asked})"},
    # identity (issue 34): users and tokens in the browser, single sign-on
    "today_no_times": {"zh": "本厅的触点都没有时间（开始时间或来访到达时间），所以没有“今日”数字，也没有按天的趋势；"
                             "导入带时间的数据后即会显示。",
                       "en": "No touch of this hall has a time (a start or its visit's arrival), so there are no figures "
                             "for a day and no trend by day; import data with times to see them."},
    "id_users": {"zh": "用户", "en": "Users"},
    "id_tokens": {"zh": "令牌", "en": "Tokens"},
    "id_users_help_admin": {"zh": "所有用户及其最近登录。新用户会得到一次性代码，用它设置自己的密码；单点登录（OIDC、LDAP）用户在首次登录时自动创建。",
                            "en": "Every user and their last login. A new user gets a one-time code with which they set their own password; single sign-on (OIDC, LDAP) users are created at their first login."},
    "id_users_help_manager": {"zh": "您营业厅的员工。您可以新建员工、停用、重置密码，并在您自己的营业厅之间调整其营业厅。",
                              "en": "The staff of your halls. You can add staff, disable them, reset their password, and move them among your own halls."},
    "id_users_none": {"zh": "还没有您可管理的用户。", "en": "No user you manage yet."},
    "id_role": {"zh": "角色", "en": "Role"},
    "id_role_admin": {"zh": "管理员", "en": "Admin"},
    "id_role_manager": {"zh": "厅经理", "en": "Manager"},
    "id_role_auditor": {"zh": "暗访员", "en": "Auditor"},
    "id_role_staff": {"zh": "员工", "en": "Staff"},
    "id_halls": {"zh": "营业厅", "en": "Halls"},
    "id_hall": {"zh": "营业厅", "en": "Hall"},
    "id_halls_hint": {"zh": "营业厅编号，以逗号分隔", "en": "hall ids, comma-separated"},
    "id_every_hall": {"zh": "全部营业厅", "en": "every hall"},
    "id_source": {"zh": "账户来源", "en": "Account"},
    "id_src_local": {"zh": "本地", "en": "Local"},
    "id_src_oidc": {"zh": "OIDC 单点登录", "en": "OIDC sign-on"},
    "id_src_ldap": {"zh": "LDAP 目录", "en": "LDAP directory"},
    "id_last_login": {"zh": "最近登录", "en": "Last login"},
    "id_never": {"zh": "从未", "en": "Never"},
    "id_state": {"zh": "状态", "en": "State"},
    "id_active": {"zh": "正常", "en": "Active"},
    "id_disabled": {"zh": "已停用", "en": "Disabled"},
    "id_code_pending": {"zh": "待设置密码", "en": "Password code issued"},
    "id_new_user": {"zh": "新建用户", "en": "New user"},
    "id_email": {"zh": "电子邮件（可选，用于周报）", "en": "E-mail (optional, for the weekly digest)"},
    "id_create": {"zh": "新建", "en": "Create"},
    "id_created": {"zh": "已新建用户 {user}。", "en": "User {user} created."},
    "id_code_once": {"zh": "一次性代码（只显示这一次，48 小时内有效）：", "en": "One-time code (shown this once, valid 48 hours):"},
    "id_code_link": {"zh": "或把此链接交给该用户：", "en": "Or give the user this link:"},
    "id_change": {"zh": "角色与营业厅", "en": "Role and halls"},
    "id_sso_note": {"zh": "该账户来自单点登录：下次登录时，角色与营业厅会按身份提供方的映射重新设置。", "en": "This account comes from single sign-on: its role and halls are set again from the provider's mapping at its next login."},
    "id_save": {"zh": "保存", "en": "Save"},
    "id_access": {"zh": "访问", "en": "Access"},
    "id_disable": {"zh": "停用（立即结束其会话）", "en": "Disable (ends their sessions now)"},
    "id_enable": {"zh": "重新启用", "en": "Enable again"},
    "id_reset": {"zh": "发放一次性密码代码", "en": "Issue a one-time password code"},
    "id_reset_help": {"zh": "旧密码在代码使用前仍然有效；使用代码后其所有会话结束。", "en": "The old password keeps working until the code is used; using it ends all their sessions."},
    "id_self": {"zh": "这是您自己的账户：请让另一位管理员修改。", "en": "This is your own account: another admin changes it."},
    "id_done_change": {"zh": "已保存角色与营业厅。", "en": "Role and halls saved."},
    "id_done_disable": {"zh": "已停用：其会话已结束。", "en": "Disabled: their sessions have ended."},
    "id_done_enable": {"zh": "已重新启用。", "en": "Enabled again."},
    "id_done_reset": {"zh": "已发放一次性代码。", "en": "A one-time code was issued."},
    "id_tokens_help": {"zh": "评价器、排队系统（设备）与短信网关使用的令牌。令牌只在新建或轮换时显示一次；系统只保存其哈希。吊销或轮换后，旧令牌在 10 秒内失效。",
                       "en": "Tokens of rating pads and queue systems (devices) and of the SMS gateway. A token is shown only when made or rotated; only its hash is kept. A revoked or rotated token stops working within 10 seconds."},
    "id_tokens_none": {"zh": "还没有令牌。", "en": "No token yet."},
    "id_label": {"zh": "标签", "en": "Label"},
    "id_scope": {"zh": "范围", "en": "Scope"},
    "id_scope_device": {"zh": "设备（写入事件）", "en": "device (sends events)"},
    "id_scope_sms": {"zh": "短信网关（回复）", "en": "SMS gateway (replies)"},
    "id_made": {"zh": "创建", "en": "Made"},
    "id_last_use": {"zh": "最近使用", "en": "Last used"},
    "id_revoked": {"zh": "已吊销", "en": "Revoked"},
    "id_rotated": {"zh": "已轮换", "en": "Rotated"},
    "id_rotate": {"zh": "轮换", "en": "Rotate"},
    "id_revoke": {"zh": "吊销", "en": "Revoke"},
    "id_new_token": {"zh": "新建令牌", "en": "New token"},
    "id_token_hall_hint": {"zh": "营业厅编号（短信网关可填 *）", "en": "hall id (an SMS gateway may use *)"},
    "id_token_once": {"zh": "新令牌（只显示这一次，请立即复制到设备）：", "en": "The new token (shown this once: copy it to the device now):"},
    "id_tok_created": {"zh": "已新建令牌。", "en": "Token made."},
    "id_tok_rotate": {"zh": "已轮换：旧令牌不再有效。", "en": "Rotated: the old token no longer works."},
    "id_tok_revoke": {"zh": "已吊销。", "en": "Revoked."},
    "id_tok_label": {"zh": "已保存标签。", "en": "Label saved."},
    "id_password": {"zh": "设置密码", "en": "Set your password"},
    "id_password_help": {"zh": "输入管理员给您的一次性代码和新密码（至少 8 个字符）。", "en": "Type the one-time code an admin gave you and your new password (at least 8 characters)."},
    "id_code": {"zh": "一次性代码", "en": "One-time code"},
    "id_again": {"zh": "再输入一次密码", "en": "The password again"},
    "id_set": {"zh": "设置密码", "en": "Set password"},
    "id_password_differ": {"zh": "两次输入的密码不一致。", "en": "The two passwords differ."},
    "id_password_set": {"zh": "密码已设置：请登录。", "en": "Password set: log in now."},
    "act_user_changed": {"zh": "修改用户", "en": "user changed"},
    "act_user_disabled": {"zh": "停用用户", "en": "user disabled"},
    "act_user_enabled": {"zh": "启用用户", "en": "user enabled"},
    "act_password_reset_issued": {"zh": "发放密码代码", "en": "password code issued"},
    "act_password_set": {"zh": "设置密码", "en": "password set"},
    "act_password_code_refused": {"zh": "密码代码被拒", "en": "password code refused"},
    "act_token_rotated": {"zh": "轮换令牌", "en": "token rotated"},
    "act_token_revoked": {"zh": "吊销令牌", "en": "token revoked"},
    "act_token_labelled": {"zh": "修改令牌标签", "en": "token labelled"},
    "act_sso_refused": {"zh": "单点登录被拒", "en": "sign-on refused"},
    "id_sso_button": {"zh": "单点登录（公司账户）", "en": "Sign in with your company account"},
    "id_sso_refused": {"zh": "单点登录未能登录", "en": "Single sign-on did not log you in"},
    # integrations: webhooks, chat robots (issue 35)
    "hook_title": {"zh": "集成：Webhook 与群机器人", "en": "Integrations: webhooks and chat robots"},
    "hook_nav": {"zh": "集成", "en": "Integrations"},
    "inbox_title": {"zh": "值班提醒", "en": "On-duty inbox"},
    "inbox_alerts": {"zh": "补救提醒（近 12 小时，最新在前）", "en": "Recovery alerts (last 12 hours, newest first)"},
    "inbox_cases": {"zh": "未关闭的工单", "en": "Open cases"},
    "inbox_claim": {"zh": "我来处理", "en": "I'll take it"},
    "inbox_no_alerts": {"zh": "近 12 小时您的营业厅没有补救提醒。", "en": "No recovery alerts in your halls in the last 12 hours."},
    "inbox_no_cases": {"zh": "您的营业厅没有未关闭的工单。", "en": "No open cases in your halls."},
    "inbox_due": {"zh": "期限", "en": "due"},
    "hook_intro": {"zh": "每个事件（补救提醒、工单新建/升级/超时/关闭、差评回复、导入完成、周报）写入发件箱，"
                         "再投递到订阅它的端点：签名的 Webhook，或企业微信、钉钉、飞书群机器人。",
                   "en": "Every event (recovery alert, case opened / escalated / overdue / closed, negative reply, "
                         "import finished, digest) is written to an outbox, then delivered to the endpoints that "
                         "take it: signed webhooks, or WeCom, DingTalk and Feishu group robots."},
    "hook_endpoints": {"zh": "端点", "en": "Endpoints"},
    "hook_none_page": {"zh": "还没有端点：用下面的表单添加一个。", "en": "No endpoints yet: add one with the form below."},
    "hook_channel": {"zh": "渠道", "en": "Channel"},
    "hook_url": {"zh": "地址", "en": "URL"},
    "hook_events": {"zh": "事件", "en": "Events"},
    "hook_halls": {"zh": "营业厅", "en": "Halls"},
    "hook_lang": {"zh": "语言", "en": "Language"},
    "hook_mention_w": {"zh": "@ 值班手机号", "en": "@ on-duty mobiles"},
    "hook_secret_w": {"zh": "加签密钥（钉钉/飞书）", "en": "Signing secret (DingTalk / Feishu)"},
    "hook_state_w": {"zh": "状态", "en": "State"},
    "hook_sent": {"zh": "已送达", "en": "sent"},
    "hook_pending": {"zh": "待发送", "en": "pending"},
    "hook_failed": {"zh": "失败", "en": "failed"},
    "hook_cancelled": {"zh": "已取消", "en": "cancelled"},
    "hook_active": {"zh": "启用中", "en": "active"},
    "hook_disabled": {"zh": "已停用", "en": "disabled"},
    "hook_why_secret": {"zh": "签名密钥无法解密：PEAKEND_SECRET 已更改或未设置", "en": "signing secret unreadable: "
                        "PEAKEND_SECRET changed or unset"},
    "hook_add": {"zh": "添加端点", "en": "Add an endpoint"},
    "hook_add_go": {"zh": "添加", "en": "Add"},
    "hook_all": {"zh": "全部（*）", "en": "all (*)"},
    "hook_remove": {"zh": "删除", "en": "Remove"},
    "hook_enable": {"zh": "重新启用", "en": "Enable"},
    "hook_replay": {"zh": "重发", "en": "Replay"},
    "hook_log": {"zh": "投递记录", "en": "Delivery log"},
    "hook_log_none": {"zh": "还没有投递：端点添加后，新事件会出现在这里。",
                      "en": "No deliveries yet: new events appear here once an endpoint takes them."},
    "hook_attempts": {"zh": "尝试", "en": "Tries"},
    "hook_when": {"zh": "时间", "en": "When"},
    "hook_answer": {"zh": "回应", "en": "Answer"},
    "hook_next": {"zh": "下次", "en": "Next"},
    "hook_kind": {"zh": "事件", "en": "Event"},
    "hook_secret_once": {"zh": "签名密钥（只显示这一次，请保存到接收端）：",
                         "en": "Signing secret (shown this once; keep it at the receiver):"},
    "act_webhook_added": {"zh": "添加 Webhook", "en": "webhook added"},
    "act_webhook_removed": {"zh": "删除 Webhook", "en": "webhook removed"},
    "act_webhook_enabled": {"zh": "启用 Webhook", "en": "webhook enabled"},
    "act_webhook_replayed": {"zh": "重发投递", "en": "delivery replayed"},
    "act_webhook_disabled": {"zh": "Webhook 被停用", "en": "webhook disabled"},
    # import wizard: wide files (issue 31)
    "import_shape": {"zh": "文件的样子", "en": "The file's shape"},
    "import_shape_long": {"zh": "每个触点一行（有一列写明关键时刻）", "en": "One row per touch (a column names the moment)"},
    "import_shape_wide": {"zh": "每位受访者（每次来访）一行，每个关键时刻一列",
                          "en": "One row per respondent (visit), one column per moment"},
    "import_wide_intro": {"zh": "为每列选择它是什么：来访编号、营业厅、某个关键时刻的评分或问卷答案。时刻按蓝图顺序读取；"
                                "同一时刻的多列按文件中的顺序。",
                          "en": "Say what each column holds: the visit's id, its hall, a moment's rating or a survey "
                                "answer. Moments are read in the blueprint's order; several columns of one moment "
                                "in the file's order."},
    "import_as_visit": {"zh": "来访", "en": "The visit"},
    "import_as_moment": {"zh": "关键时刻的评分", "en": "A moment's rating"},
    "import_as_survey": {"zh": "问卷答案", "en": "Survey answers"},
    "import_hall_one": {"zh": "整个文件属于一个营业厅", "en": "One hall for the whole file"},
    "import_hall_hint": {"zh": "没有营业厅列时填写；只涉及已存来访时可不填",
                         "en": "when no column names the hall; not needed when every row is a visit already stored"},
    "import_overall_scale": {"zh": "总体评价的量表", "en": "Scale of the overall answer"},
    "import_example": {"zh": "例", "en": "e.g."},
    "import_preview": {"zh": "预览读取结果", "en": "Preview"},
    "import_read_as": {"zh": "前几行将这样读取（入库前还会检查）",
                       "en": "The first rows as they will be read (checked when imported)"},
    "import_read_none": {"zh": "按此对应读不出任何记录：请选择来访编号列和关键时刻列",
                         "en": "This mapping reads no records: choose the visit column and the moment columns"},
    "import_file_rows": {"zh": "文件的前几行", "en": "The file's first rows"},
    "training_none": {"zh": "培训库中没有这项服务的课程（内置课程面向电信营业厅）：可用设置 training（PEAKEND_TRAINING）"
                             "指定自己的培训库；蓝图中的行动指引仍可搜索。",
                      "en": "The training library has no module for this service (the shipped one is for telecom "
                            "halls): setting training (PEAKEND_TRAINING) names your own; the blueprint's guidelines "
                            "are still searched."},
    "answer_loyalty": {"zh": "忠诚度指数", "en": "loyalty index"},
    "answer_returned": {"zh": "回访", "en": "coming back"},
    "training_none_moment": {"zh": "培训库中还没有针对这个时刻的课程。", "en": "No training module serves this moment yet."},
    "colon": {"zh": "：", "en": ": "},
    "scale_1-5": {"zh": "五分制（1–5）", "en": "1 to 5"}, "scale_1-10": {"zh": "十分制（1–10）", "en": "1 to 10"},
    "scale_0-10": {"zh": "0–10 分", "en": "0 to 10"},
    "scale_sat3": {"zh": "满意/一般/不满意", "en": "Satisfied / neutral / dissatisfied"},
    "scale_binary": {"zh": "是/否", "en": "Yes / no"},
    "no_module_moment": {"zh": "培训库中没有针对这个时刻的课程", "en": "no module for this moment in the training library"},
    "coaching_no_modules": {"zh": "培训库中没有这项服务的课程，因此还不能记录培训：可用设置 training（PEAKEND_TRAINING）"
                                  "指定自己的培训库。",
                            "en": "The training library has no module for this service, so no training can be recorded "
                                  "yet: setting training (PEAKEND_TRAINING) names your own library."},
    "moment_removed": {"zh": "（已从蓝图删除）", "en": "(no longer in the blueprint)"},
    "import_scoring": {"zh": "新数据正在评分，约一分钟后可在网络总览中看到：", "en": "The new rows are being scored; "
                       "they show on the network page within a minute:"},
    # trial (a new user's first week): refusals that say what to open instead; panels that need times say so
    "refused_title": {"zh": "您的角色不能打开此页", "en": "Not a page for your role"},
    "refused_tried": {"zh": "您想打开：", "en": "You tried to open:"},
    "refused_role": {"zh": "您的角色（{role}）不包括这一页。", "en": "Your role ({role}) does not include this page."},
    "refused_can": {"zh": "您可以打开：", "en": "Pages you can open:"},
    "refused_ask": {"zh": "需要更多权限，请联系管理员。", "en": "To see more, ask an admin."},
    "hall_page": {"zh": "营业厅页面", "en": "hall page"},
    "trend_no_times": {"zh": "无时间：7 天变化需要触点或来访时间",
                       "en": "no times: the change over 7 days needs touch or visit times"},
    "trend_short": {"zh": "数据不足：7 天变化需要最近 7 天和之前 7 天都有来访",
                    "en": "too short: the change over 7 days needs visits in the last 7 days and the 7 before"},
    "live_no_times": {"zh": "触点没有时间，这些“今日”数字只来自实时接入的事件（设备、短信），导入的数据不计入。",
                      "en": "The touches have no times, so these figures for today count only live events "
                            "(devices, SMS), not imported data."},
    "lift_none": {"zh": "没有哪个时刻的提升为正：把它做好不会抬高记忆体验指数。",
                  "en": "No moment has a positive lift: doing it better would not raise the REI."},
    "scroll_hint": {"zh": "表格可左右滑动 →", "en": "The table scrolls sideways →"},
}


# The event contract's fields as pages name them (the id, `contract.FIELDS`, is what a file header or a mapping types).
FIELD_LABELS: dict[str, dict[Lang, str]] = {
    "visit_id": {"zh": "来访编号", "en": "Visit id"}, "hall_id": {"zh": "营业厅", "en": "Hall"},
    "customer_key": {"zh": "客户标识（电话）", "en": "Customer key (phone)"}, "ticket": {"zh": "排队票号", "en": "Ticket"},
    "segment": {"zh": "客群", "en": "Segment"}, "route": {"zh": "动线", "en": "Route"},
    "arrival": {"zh": "到厅时间", "en": "Arrival time"}, "departure": {"zh": "离厅时间", "en": "Departure time"},
    "source": {"zh": "数据来源", "en": "Source"}, "touch_id": {"zh": "触点编号", "en": "Touch id"},
    "moment_id": {"zh": "关键时刻", "en": "Key moment"}, "seq": {"zh": "顺序号", "en": "Order in the visit"},
    "start_at": {"zh": "开始时间", "en": "Start time"}, "end_at": {"zh": "结束时间", "en": "End time"},
    "staff_id": {"zh": "员工", "en": "Staff member"}, "rating": {"zh": "评分", "en": "Rating"},
    "rating_scale": {"zh": "评分量表", "en": "Rating scale"}, "wait_min": {"zh": "等候分钟", "en": "Wait (minutes)"},
    "service_min": {"zh": "办理分钟", "en": "Service (minutes)"}, "outcome": {"zh": "办理结果", "en": "Outcome"},
    "survey_id": {"zh": "问卷编号", "en": "Survey id"}, "answered_at": {"zh": "答卷时间", "en": "Answered at"},
    "overall": {"zh": "总体满意度", "en": "Overall satisfaction"},
    "overall_scale": {"zh": "总体满意度量表", "en": "Overall satisfaction scale"},
    "recommend": {"zh": "推荐意愿（0–10）", "en": "Would recommend (0–10)"},
    "repurchase": {"zh": "再次购买意愿", "en": "Would buy again"}, "relationship": {"zh": "关系信任", "en": "Relationship"},
    "switch_resist": {"zh": "不会转投他家", "en": "Would stay with us"}, "comment": {"zh": "意见建议", "en": "Comment"},
    "audit_id": {"zh": "暗访编号", "en": "Audit id"}, "audited_at": {"zh": "暗访时间", "en": "Audited at"},
    "item": {"zh": "检查项", "en": "Checklist item"}, "passed": {"zh": "是否通过", "en": "Passed"},
    "auditor": {"zh": "暗访员", "en": "Auditor"}, "note": {"zh": "备注", "en": "Note"},
}


def field_label(name: str, language: Lang) -> str:
    """A contract field's name in `language` (a name that is no contract field: as it is)."""
    return FIELD_LABELS[name][language] if name in FIELD_LABELS else name


# any store (issue 31): the command line's table headers in Chinese (`header`); a header not here is printed as is
HEADERS: dict[str, str] = {
    "hall": "营业厅", "staff": "员工", "rank": "排名", "touches": "触点数", "mean e": "平均 e",
    "shrunk e [95%]": "收缩后 e [95%]", "neg. peak": "负向峰值占比", "cases in time": "按时处理的回访单",
    "module": "培训课程", "on": "培训日期", "effect on e [95%]": "对 e 的影响 [95%]", "verdict": "结论",
    "moment": "关键时刻", "importance %": "重要性 %", "quadrant": "象限", "hour": "时段", "raw": "原始人数",
    "effective": "有效人数", "waits/day": "每日等候人次", "model waits/day": "模拟每日等候人次", "mean wait": "平均等候",
    "model": "模拟", "left": "离队比例", "model ": "模拟 ", "segment": "客群", "priority": "优先级", "waits": "等候人次",
    "score": "得分", "± sd": "± 标准差", "servers": "服务人数", "visits": "来访", "wait": "等候", "within": "达标比例",
    "within_ci": "达标比例区间", "abandoned": "离队比例", "rei_ci": "REI 区间", "flag": "未达标",
}


def header(name: str, language: Lang | None = None) -> str:
    """A table header of the command line in `language` (default: the session's)."""
    return HEADERS.get(name, name) if (language or lang()) == "zh" else name

def read_lang(text: str) -> Lang:
    """A language as people write it: zh (any case, zh-CN, zh_TW…) or else en."""
    return "zh" if text.strip().lower().startswith("zh") else "en"


def lang() -> Lang:
    """The session language from env `PEAKEND_LANG` (setting `lang`; default English)."""
    return read_lang(os.environ.get("PEAKEND_LANG", "en"))


def _no_minus_zero(out: str, value: object, spec: str) -> str:
    """`out` (a float formatted by `spec`) without the minus of a value that rounds to zero: never "-0.000"."""
    if isinstance(value, float) and out.startswith("-") and not any(c in "123456789" for c in out):
        return ("+" if "+" in spec else "") + out[1:]
    return out


def percent_format(spec: str, *values: object) -> str:
    """`spec % values` (as Jinja's `format` filter), a value that rounds to zero never printed "-0.0"."""
    out = spec % values
    return _no_minus_zero(out, values[0], spec) if len(values) == 1 else out


class _Numbers(string.Formatter):
    """Formats numbers as people read them: a value that rounds to zero is never "-0.0" (nor "-0.000", "-0%")."""

    def format_field(self, value: object, format_spec: str) -> str:
        return _no_minus_zero(format(value, format_spec), value, format_spec)


_numbers = _Numbers()


_NOUNS = ("halls", "routes", "visits", "touches", "moments", "zones", "rows", "files", "answers", "records",
          "surveys", "cases", "alerts", "comments", "replies", "notes", "days", "jobs", "events", "timers", "tables",
          "checklist items", "items", "members", "modules", "users", "staff members", "counters", "customers",
          "messages", "folds", "weeks", "hours", "minutes", "versions", "changes", "entries", "audits")
_ONE = re.compile(r"(?<![\d.,·+−-])\b1 (" + "|".join(sorted(_NOUNS, key=len, reverse=True)) + r")\b")
_SINGULAR = {"touches": "touch", "replies": "reply", "entries": "entry"}


def one_counted(text: str) -> str:
    """English `text` with a count of one agreeing with its noun: "1 halls" → "1 hall" (other counts unchanged)."""
    return _ONE.sub(lambda m: "1 " + _SINGULAR.get(m[1], m[1][:-1]), text)


def say(key: str, language: Lang | None = None, **fields: object) -> str:
    """Render message `key` in `language` (default: the session language); in English a count of one takes the
    singular ("1 hall")."""
    code = language or lang()
    out = _numbers.format(MESSAGES[key][code], **fields)
    return one_counted(out) if code == "en" else out


def answer_name(answer: str, lang: Lang) -> str:
    """A survey answer (`overall`, `switch_resist`, `promoter`, …) by its name in `lang` (WORDS `answer_<id>`);
    an answer without one by its id."""
    found = WORDS.get(f"answer_{answer}")
    return found[lang] if found else answer


def both(key: str, **fields: object) -> dict[Lang, str]:
    """Render message `key` in both languages."""
    return {code: say(key, code, **fields) for code in ("en", "zh")}


class Said(str):
    """A message in the session language that also holds itself in both (`in_both`), and its key and fields
    (`key`, `fields`: a page may word it its own way): a note kept for a page."""

    in_both: dict[Lang, str]
    key: str
    fields: dict[str, str]


def said(key: str, **fields: object) -> Said:
    """Message `key` in the session language, and in both (`Said.in_both`) for whoever reads it later."""
    out = Said(say(key, None, **fields))
    out.in_both = both(key, **fields)
    out.key, out.fields = key, {k: str(v) for k, v in fields.items()}
    return out


# The command line's --help, in the language of --lang / PEAKEND_LANG (the CLI reads it before declaring commands).
HELP: dict[str, dict[Lang, str]] = {
    "app": {"en": "peakend: peak-end customer-experience management for service halls.", "zh": "peakend：基于峰终定律的营业厅客户体验管理。"},
    "group.blueprint": {"en": "Check, make and show service blueprints.", "zh": "检查、创建和查看服务蓝图。"},
    "group.train": {"en": "The training search engine: modules and the blueprint's guidance; coaching and its effect.", "zh": "培训搜索引擎：培训模块与蓝图指引；辅导及其效果。"},
    "group.hall": {"en": "Halls: their names in both languages (pages show names, not ids).", "zh": "营业厅：中英文名称（页面显示名称而非编号）。"},
    "group.user": {"en": "Users of the web app (admin, manager, auditor, staff).", "zh": "网页应用的用户（管理员、厅经理、暗访员、员工）。"},
    "group.token": {"en": "Device tokens: each writes events of its hall only.", "zh": "设备令牌：每个令牌只能写入其所属营业厅的事件。"},
    "group.activity": {"en": "The activity log: who did what security-relevant thing, hash-chained.", "zh": "操作日志：谁做了哪些与安全相关的操作（哈希链，防篡改）。"},
    "group.customer": {"en": "A customer's rights over their data: export it, or erase it.", "zh": "客户对其数据的权利：导出或删除。"},
    "cmd.activity.list": {"en": "The latest actions of the activity log, newest first.", "zh": "列出最近的操作日志，最新的在前。"},
    "cmd.activity.verify": {"en": "Check the activity log's hash chain; exit 1 naming the first row that was changed.", "zh": "校验操作日志的哈希链；有被改动的行则退出码为 1 并指出第一行。"},
    "cmd.customer.export": {"en": "Write everything the store holds about one customer (by phone or customer key) as JSON.", "zh": "将存储中关于某位客户（按电话或客户标识）的全部数据写成 JSON。"},
    "cmd.customer.forget": {"en": "Erase one customer: their key anonymised, comments, SMS replies and case notes removed; scores stay.", "zh": "删除某位客户的数据：匿名化其标识，删除评论、短信回复与工单备注；评分保留。"},
    "opt.activity.action": {"en": "Only this action (e.g. login_failed, user_saved, erasure).", "zh": "只看此类操作（如 login_failed、user_saved、erasure）。"},
    "opt.customer": {"en": "The customer's phone number or customer key.", "zh": "客户的电话号码或客户标识。"},
    "opt.customer.out": {"en": "The JSON file to write.", "zh": "要写入的 JSON 文件。"},
    "cmd.blueprint.versions": {"en": "The store's saved blueprint versions, the one in force marked ✓ and any that no longer pass the check ✗.", "zh": "列出存储中保存的蓝图版本，✓ 为当前使用的版本，✗ 为已不能通过检查的版本。"},
    "group.live": {"en": "The live service loop: the worker, a recorded day replayed, the timers due now.", "zh": "实时服务闭环：后台工作进程、回放记录的一天、运行到期定时器。"},
    "cmd.settings": {"en": "Print every setting (environment variable) with the value in force and what it does.", "zh": "列出每个设置（环境变量）的当前值及其作用。"},
    "cmd.blueprint.check": {"en": "Report every problem of an edited blueprint, with its line and a fix; exit 1 if there is any.", "zh": "报告编辑后蓝图的每个问题（行号与修改建议）；有问题时退出码为 1。"},
    "cmd.blueprint.use": {"en": "Make a checked blueprint the store's: saved as its next version, run by every command and the web app.", "zh": "将检查通过的蓝图设为存储的蓝图：保存为下一版本，所有命令和网页应用都使用它。"},
    "cmd.blueprint.new": {"en": "Write a minimal valid blueprint for any service from its moments (the last one is the end).", "zh": "根据任意服务的关键时刻写出一个最简有效蓝图（最后一个时刻为结束）。"},
    "cmd.blueprint.show": {"en": "Print the blueprint in force: its key moments and routes, in both languages.", "zh": "以中英文列出当前蓝图的关键时刻与动线。"},
    "cmd.ingest": {"en": "Ingest event files; bad rows are quarantined with a message naming file, row and field. An id stored with different content is a conflict (see `peakend quarantine`), or a correction with --replace.", "zh": "导入事件文件；错误行进入隔离区，并注明文件、行和字段。已存编号内容不同时记为冲突（见 `peakend quarantine`），加 --replace 则作为更正。"},
    "cmd.quarantine": {"en": "List rejected rows and warnings (source, row, field and why), then conflicts with both versions.", "zh": "列出被拒的行与警告（来源、行、字段及原因），以及两个版本的冲突。"},
    "cmd.score": {"en": "Score visits by the peak-end rule (only what changed since the last run; --full: all), or a Parquet lake with --lake.", "zh": "按峰终定律为来访评分（仅评上次之后变化的部分；--full：全部），或用 --lake 为 Parquet 数据湖评分。"},
    "cmd.export": {"en": "Write the store's visits, touches, surveys and audits as Parquet partitioned by date and hall.", "zh": "将存储中的来访、触点、调查与暗访按日期和营业厅分区写成 Parquet。"},
    "cmd.compare": {"en": "Cross-validate mean / peak / end / peak+end / … models of a survey answer, and say which predicts it better.", "zh": "交叉验证均值、峰值、终值、峰+终等模型对调查答案的预测，并说明哪个预测得更好。"},
    "cmd.calibrate": {"en": "Fit the weights of peak, end and mean to the store's survey answers, with intervals, tested out of sample; --approve saves them into the blueprint.", "zh": "用存储中的调查答案拟合峰、终、均值的权重（含区间，样本外检验）；--approve 将其写入蓝图。"},
    "cmd.loyalty": {"en": "Loyalty: index and NPS with intervals, returns and lapses, what drives them, what a bad moment costs.", "zh": "忠诚度：带区间的忠诚度指数与 NPS、回访与流失、驱动因素、一个差的时刻的代价。"},
    "cmd.staff": {"en": "Staff scorecards: mean e shrunk toward the hall's (empirical Bayes, 95% interval), fairly ranked.", "zh": "员工记分卡：向本厅均值收缩的平均体验值（经验贝叶斯，95% 区间），公平排名。"},
    "cmd.train.search": {"en": "Rank training modules and the blueprint's guidelines and standards for QUERY (BM25 over jieba words).", "zh": "为 QUERY 排序培训模块和蓝图的指引与标准（基于结巴分词的 BM25）。"},
    "cmd.train.assign": {"en": "Record that a staff member was trained on a module on a date; `peakend train effects` measures it.", "zh": "记录某员工在某日接受某模块培训；`peakend train effects` 衡量其效果。"},
    "cmd.train.effects": {"en": "Each coaching assignment: e at the module's moments before vs after, against untrained colleagues (difference in differences, 95% interval).", "zh": "每项辅导：培训前后在模块对应时刻的体验值，与未培训同事比较（双重差分，95% 区间）。"},
    "cmd.train.list": {"en": "Every training module with the moments it serves.", "zh": "列出每个培训模块及其对应的关键时刻。"},
    "cmd.report": {"en": "Write one self-contained HTML report (zh/en) of the scored store; --pdf prints it too, to forward.", "zh": "生成一份自包含的 HTML 报告（中英文）；--pdf 同时打印为 PDF 以便转发。"},
    "cmd.digest": {"en": "Send each hall manager their weekly digest by e-mail (the SMTP server of PEAKEND_SMTP_HOST and PEAKEND_SMTP_PORT), e.g. by cron on Mondays at 08:00.", "zh": "通过电子邮件向每位厅经理发送周报（SMTP 服务器：PEAKEND_SMTP_HOST 与 PEAKEND_SMTP_PORT），例如用 cron 每周一 08:00 运行。"},
    "cmd.simulate": {"en": "Simulate a hall (visits, touches, ratings, surveys in the event contract) and predict its REI.", "zh": "模拟一个营业厅（按事件契约生成来访、触点、评分与调查），预测其 REI。"},
    "cmd.plan": {"en": "Find, per hour, the fewest servers meeting the targets (beside Erlang-A's answer); with several configurations, compare them.", "zh": "逐小时求满足目标的最少服务人员（并列 Erlang-A 的答案）；多个配置时一并比较。"},
    "cmd.fit": {"en": "Fit a hall configuration from the hall's stored visits; check it against the observed waits per hour.", "zh": "根据营业厅已存的来访拟合其配置，并与每小时观测到的等待比较。"},
    "cmd.demo": {"en": "Build a demo network of 8 halls through the real ingest path, score it, fit a hall and report.", "zh": "通过真实导入流程构建 8 个营业厅的演示网络，评分、拟合一个厅并生成报告。"},
    "cmd.serve": {"en": "Serve the pages and the JSON API (docs at /docs). Sessions are signed with env PEAKEND_SECRET.", "zh": "提供网页与 JSON API（文档见 /docs）。会话以环境变量 PEAKEND_SECRET 签名。"},
    "cmd.setup_code": {"en": "Print a fresh setup code for the first admin (the running server accepts it at once; the old one stops working).", "zh": "为第一个管理员打印新的设置码（运行中的服务器立即接受；旧设置码失效）。"},
    "cmd.live.replay": {"en": "Replay a recorded day: events in time order through ingest and the live rules, timers in between.", "zh": "回放记录的一天：事件按时间经过导入与实时规则，其间运行定时器。"},
    "cmd.live.work": {"en": "Run the live rules on queued visits, the due timers, jobs and the scheduled scoring without serving pages (the process `serve --workers N` starts).", "zh": "不提供网页，仅运行排队来访的实时规则、到期定时器、任务与定时评分（即 `serve --workers N` 启动的进程）。"},
    "group.jobs": {"en": "Long work kept in the store (scoring runs, verdicts, figures, imports): its upkeep.", "zh": "存储中保存的长任务（评分、结论、图表数据、导入）的维护。"},
    "cmd.jobs.prune": {"en": "Remove jobs finished more than --days ago (default: setting job_keep_days) with their stored tables and leftover upload files; the latest done job of each question, and queued and running ones, stay. The server does this once a day.", "zh": "删除结束超过 --days 天（默认：设置 job_keep_days）的任务及其保存的表与遗留的上传文件；每个问题最近一次完成的任务以及排队中、运行中的任务保留。服务器每天自动执行一次。"},
    "opt.jobs.days": {"en": "Keep jobs finished within this many days (default: setting job_keep_days).", "zh": "保留在此天数内结束的任务（默认：设置 job_keep_days）。"},
    "opt.jobs.dry": {"en": "Only count what would be removed.", "zh": "只统计将被删除的内容，不删除。"},
    "cmd.live.tick": {"en": "Run every reminder, escalation and survey send due now.", "zh": "运行当前到期的所有提醒、升级与调查发送。"},
    "cmd.hall.name": {"en": "Name a hall (or, with --staff, a staff member) in Chinese and English; pages show the name in their language instead of the id.", "zh": "为营业厅（或用 --staff 为员工）设置中英文名称；页面以其语言显示名称而非编号。"},
    "cmd.hall.list": {"en": "Every hall with events or a name: its id and names.", "zh": "列出有事件或名称的每个营业厅：编号与名称。"},
    "cmd.user.add": {"en": "Create or replace a user (the password is stored only as an Argon2 hash).", "zh": "创建或替换用户（密码仅以 Argon2 哈希保存）。"},
    "cmd.token.add": {"en": "Create a device token (or the SMS gateway's, --sms); printed once, stored only hashed.", "zh": "创建设备令牌（或短信网关令牌，--sms）；只显示一次，仅以哈希保存。"},
    "opt.db": {"en": "The store: a DuckDB file or a postgresql:// URL.", "zh": "存储：DuckDB 文件或 postgresql:// 地址。"},
    "opt.blueprint": {"en": "A blueprint YAML to run for this command instead of the store's blueprint in force.", "zh": "本命令改用的蓝图 YAML（代替存储当前的蓝图）。"},
    "opt.seed": {"en": "Random seed (the same seed gives the same answer; recorded in the output).", "zh": "随机种子（相同种子得到相同结果；记录在输出中）。"},
    "opt.lang": {"en": "Language of messages and help: zh or en (env PEAKEND_LANG).", "zh": "消息与帮助的语言：zh 或 en（环境变量 PEAKEND_LANG）。"},
    "opt.who": {"en": "Who does it (kept with the record).", "zh": "操作者（随记录保存）。"},
    "opt.new.out": {"en": "The YAML file to write.", "zh": "要写入的 YAML 文件。"},
    "opt.new.moments": {"en": "Key moments in journey order, comma-separated.", "zh": "按旅程顺序列出的关键时刻，逗号分隔。"},
    "opt.new.mapping": {"en": "…or the moments of a wide mapping file, in its order.", "zh": "……或取宽表映射文件中的时刻，按其顺序。"},
    "opt.new.id": {"en": "The blueprint's id (a-z, 0-9, _).", "zh": "蓝图编号（a-z、0-9、_）。"},
    "opt.new.name": {"en": "The service's name.", "zh": "服务名称。"},
    "opt.show.moment": {"en": "Show one moment in full (needs, standards, guidelines…).", "zh": "完整显示一个时刻（需求、标准、指引……）。"},
    "opt.ingest.files": {"en": "CSV, JSON Lines, Parquet or Excel (.xlsx, .xls, .ods) files, or folders.", "zh": "CSV、JSON Lines、Parquet 或 Excel（.xlsx、.xls、.ods）文件，或文件夹。"},
    "opt.ingest.mapping": {"en": "Column mapping YAML (long renames or wide format).", "zh": "列映射 YAML（长表重命名或宽表格式）。"},
    "opt.ingest.kind": {"en": "touch, visit, survey or audit (default: told by the columns).", "zh": "touch、visit、survey 或 audit（默认按列判断）。"},
    "opt.ingest.encoding": {"en": "Text encoding of CSV/JSONL files: auto (detected: UTF-8, UTF-8 with BOM, GBK/GB18030, Big5, UTF-16) or a name, e.g. gbk.", "zh": "CSV/JSONL 文件的编码：auto（自动识别 UTF-8、带 BOM 的 UTF-8、GBK/GB18030、Big5、UTF-16）或编码名，如 gbk。"},
    "opt.ingest.sheet": {"en": "Of a workbook, only this sheet (default: every visible sheet, each its own source file#sheet).", "zh": "工作簿中只导入此工作表（默认：每个可见工作表，各自作为 文件#表 来源）。"},
    "opt.ingest.scale": {"en": "Scale of ratings given without one: 1-5, 1-10, 0-10, sat3, binary.", "zh": "未注明量表的评分所用量表：1-5、1-10、0-10、sat3、binary。"},
    "opt.ingest.fractions": {"en": "Accept ratings between a scale's points (3.5 on 1-5).", "zh": "接受量表刻度之间的评分（如 1-5 上的 3.5）。"},
    "opt.ingest.replace": {"en": "An id sent again with different content is a correction: apply it, keep the old version.", "zh": "重复发送但内容不同的编号视为更正：应用之，保留旧版本。"},
    "opt.limit": {"en": "At most this many rows.", "zh": "最多显示的行数。"},
    "opt.score.engine": {"en": "duckdb, postgres or spark (default: the store's own; with --lake, duckdb).", "zh": "duckdb、postgres 或 spark（默认：存储自身的引擎；用 --lake 时为 duckdb）。"},
    "opt.score.lake": {"en": "Score a Parquet lake (`peakend export`) instead of the store.", "zh": "为 Parquet 数据湖（`peakend export`）评分，而非存储。"},
    "opt.score.out": {"en": "Where a lake's score tables go (default LAKE/scores).", "zh": "数据湖评分表的输出位置（默认 LAKE/scores）。"},
    "opt.score.master": {"en": "Spark master, e.g. spark://host:7077 (default: local).", "zh": "Spark master，例如 spark://host:7077（默认本地）。"},
    "opt.score.full": {"en": "Score every visit again, not only what changed.", "zh": "重新为所有来访评分，而不仅是变化的部分。"},
    "opt.export.out": {"en": "The lake folder (its table folders are replaced).", "zh": "数据湖文件夹（其中的表文件夹会被替换）。"},
    "opt.target": {"en": "A survey answer: overall, recommend, repurchase, relationship, switch_resist (R², or AUC when it takes two values) or promoter (recommend ≥ 9, AUC).", "zh": "调查答案：overall、recommend、repurchase、relationship、switch_resist（R²；二值答案用 AUC）或 promoter（推荐意愿 ≥ 9，AUC）。"},
    "opt.folds": {"en": "Cross-validation folds.", "zh": "交叉验证的折数。"},
    "opt.format": {"en": "table, csv or json (the table and the verdict).", "zh": "table、csv 或 json（表格与结论）。"},
    "opt.boot": {"en": "Bootstrap resamples for the intervals.", "zh": "计算区间的自助重抽样次数。"},
    "opt.approve": {"en": "Save the fitted weights as the store's next blueprint version.", "zh": "将拟合的权重保存为存储的下一蓝图版本。"},
    "opt.days.return": {"en": "Return window in days (default: the blueprint's loyalty.return_days).", "zh": "回访窗口天数（默认取蓝图的 loyalty.return_days）。"},
    "opt.hall": {"en": "Only this hall (repeatable).", "zh": "只看此营业厅（可重复）。"},
    "opt.drivers": {"en": "Key-driver analysis (bootstrap; a few seconds).", "zh": "关键驱动分析（自助法；需数秒）。"},
    "opt.out.csvs": {"en": "Also write every table as CSV into this folder.", "zh": "同时把每张表以 CSV 写入此文件夹。"},
    "opt.out.cards": {"en": "Also write the cards as CSV (for appraisal).", "zh": "同时把记分卡写成 CSV（用于考评）。"},
    "opt.query": {"en": "Words to look for, zh or en (traditional characters too).", "zh": "要查找的词，中文或英文（也支持繁体）。"},
    "opt.k": {"en": "How many results.", "zh": "结果数量。"},
    "opt.train.hall": {"en": "The staff member's hall.", "zh": "员工所在营业厅。"},
    "opt.train.staff": {"en": "The staff id, as on their touches.", "zh": "员工编号（与触点记录一致）。"},
    "opt.train.module": {"en": "A module id (`peakend train list`).", "zh": "培训模块编号（见 `peakend train list`）。"},
    "opt.train.on": {"en": "The training date, YYYY-MM-DD.", "zh": "培训日期，YYYY-MM-DD。"},
    "opt.report.out": {"en": "The HTML file to write.", "zh": "要写入的 HTML 文件。"},
    "opt.report.pdf": {"en": "Also print it to a PDF beside it (Chromium, headless), in the session language.", "zh": "同时用 Chromium（无界面）按会话语言打印为旁边的 PDF。"},
    "opt.digest.out": {"en": "Write each digest as <user>.eml here instead of sending it.", "zh": "把每份周报写为此处的 <用户>.eml，而不发送。"},
    "opt.config": {"en": "Hall configuration YAML (default: the demo's first hall).", "zh": "营业厅配置 YAML（默认：演示网络的第一个厅）。"},
    "opt.days": {"en": "How many days.", "zh": "天数。"},
    "opt.day.first": {"en": "First simulated day, YYYY-MM-DD (weekends get more visitors).", "zh": "模拟的第一天，YYYY-MM-DD（周末来访更多）。"},
    "opt.day.plan": {"en": "The day planned, YYYY-MM-DD (default: the next working day).", "zh": "计划的日期，YYYY-MM-DD（默认：下一个工作日）。"},
    "opt.sim.out": {"en": "Folder for the simulated event files.", "zh": "模拟事件文件的输出文件夹。"},
    "opt.sim.db": {"en": "Also ingest the events into this store and score it.", "zh": "同时把事件导入此存储并评分。"},
    "opt.station": {"en": "The station whose servers are planned (default: the one customers queue for).", "zh": "要规划人员的服务台（默认：客户排队的那个）。"},
    "opt.target.wait": {"en": "Target: minutes a customer may wait.", "zh": "目标：客户可等待的分钟数。"},
    "opt.target.share": {"en": "Target: share of customers served within that wait.", "zh": "目标：在该等待时间内得到服务的客户比例。"},
    "opt.target.rei": {"en": "Target: mean predicted REI per hour (0: none).", "zh": "目标：每小时平均预测 REI（0：不设）。"},
    "opt.target.abandon": {"en": "Target: at most this share leaving the queue.", "zh": "目标：离队客户比例上限。"},
    "opt.reps": {"en": "Replications per evaluation (for confidence intervals).", "zh": "每次评估的重复次数（用于置信区间）。"},
    "opt.plan.out": {"en": "Folder for the plan's table and chart.", "zh": "计划表格与图表的输出文件夹。"},
    "opt.fit.hall": {"en": "The hall whose stored visits are fitted.", "zh": "要拟合其已存来访的营业厅。"},
    "opt.fit.like": {"en": "Base configuration: stations' moments, ratings, policies.", "zh": "基础配置：服务台的时刻、评分与策略。"},
    "opt.fit.since": {"en": "First day fitted, YYYY-MM-DD (default: all).", "zh": "拟合的第一天，YYYY-MM-DD（默认全部）。"},
    "opt.fit.until": {"en": "Last day fitted, YYYY-MM-DD (default: all).", "zh": "拟合的最后一天，YYYY-MM-DD（默认全部）。"},
    "opt.fit.holdout": {"en": "Share of the days held out for the check (the last ones; 0: check in sample).", "zh": "留出用于检验的天数比例（最后的那些天；0：样本内检验）。"},
    "opt.fit.out": {"en": "Fitted YAML (default: HALL.fitted.yaml).", "zh": "拟合结果 YAML（默认 HALL.fitted.yaml）。"},
    "opt.demo.dir": {"en": "Where the demo's files, store and report go.", "zh": "演示的文件、存储与报告的存放位置。"},
    "opt.host": {"en": "Address to listen on.", "zh": "监听地址。"},
    "opt.port": {"en": "Port to listen on.", "zh": "监听端口。"},
    "opt.workers": {"en": "Web processes behind the port (PostgreSQL only); the live rules, timers, jobs and scoring then run in a process of their own, restarted if it ends.", "zh": "端口后的网页进程数（仅 PostgreSQL）；此时实时规则、定时器、任务与评分在单独进程中运行，结束后自动重启。"},
    "opt.sms": {"en": "SMS gateway: an http(s):// URL, or file:PATH (default: sms-outbox.jsonl beside the store).", "zh": "短信网关：http(s):// 地址或 file:路径（默认存储旁的 sms-outbox.jsonl）。"},
    "opt.replay.day": {"en": "JSON Lines, one event a line, with 'at'.", "zh": "JSON Lines，每行一个带 'at' 的事件。"},
    "opt.hall.id": {"en": "The hall id, as in the events.", "zh": "营业厅编号（与事件一致）。"},
    "opt.hall.zh": {"en": "Its Chinese name.", "zh": "中文名称。"},
    "opt.hall.en": {"en": "Its English name.", "zh": "英文名称。"},
    "opt.hall.staff": {"en": "Name a staff member (the id as in the events) instead of a hall: pages show staff by name too.", "zh": "为员工（编号与事件一致）而非营业厅命名：页面同样以名称显示员工。"},
    "opt.user.role": {"en": "admin, manager, auditor or staff.", "zh": "admin、manager、auditor 或 staff。"},
    "opt.user.hall": {"en": "A hall the user sees (repeat for several).", "zh": "用户可见的营业厅（可重复）。"},
    "opt.user.email": {"en": "Where a manager's weekly digest goes.", "zh": "厅经理周报的收件地址。"},
    "opt.token.hall": {"en": "The hall whose events the device sends ('*' with --sms: every hall).", "zh": "设备发送事件所属的营业厅（与 --sms 一起用 '*'：所有厅）。"},
    "opt.token.label": {"en": "What the device is, e.g. 'rating pad 3'.", "zh": "设备说明，例如 'rating pad 3'。"},
    "opt.token.sms": {"en": "A token for the SMS gateway: it only posts survey replies.", "zh": "短信网关令牌：只能提交调查回复。"},
    # docs (issue 37): arguments that had no help in the command reference
    "opt.bp.file": {"en": "The blueprint YAML file.", "zh": "蓝图 YAML 文件。"},
    "opt.user.name": {"en": "The user's login name.", "zh": "用户的登录名。"},
    "opt.user.password": {"en": "The password (asked for when not given).", "zh": "密码（未给出时会提示输入）。"},
    "rich.ARGUMENTS_PANEL_TITLE": {"en": "Arguments", "zh": "参数"},
    "rich.OPTIONS_PANEL_TITLE": {"en": "Options", "zh": "选项"},
    "rich.COMMANDS_PANEL_TITLE": {"en": "Commands", "zh": "子命令"},
    "rich.DEFAULT_STRING": {"en": "[default: {}]", "zh": "[默认：{}]"},
    "rich.ENVVAR_STRING": {"en": "[env var: {}]", "zh": "[环境变量：{}]"},
    "rich.REQUIRED_LONG_STRING": {"en": "[required]", "zh": "[必填]"},
    "rich.ERRORS_PANEL_TITLE": {"en": "Error", "zh": "错误"},
    "rich.RICH_HELP": {"en": "Try [blue]'{command_path} {help_option}'[/] for help.",
                       "zh": "运行 [blue]'{command_path} {help_option}'[/] 查看帮助。"},
    "rich.ABORTED_TEXT": {"en": "Aborted.", "zh": "已中止。"},
    "help.usage": {"en": "Usage: ", "zh": "用法："},
    "help.help": {"en": "Show this message and exit.", "zh": "显示本帮助并退出。"},
    "help.install": {"en": "Install completion for the current shell.", "zh": "为当前 shell 安装命令补全。"},
    "help.show": {"en": "Show completion for the current shell, to copy it or customize the installation.",
                  "zh": "显示当前 shell 的命令补全脚本，以便复制或自定义安装。"},
    # integrations (issue 35)
    "group.webhook": {"en": "Webhooks and chat robots (WeCom, DingTalk, Feishu) that events are delivered to.", "zh": "接收事件的 Webhook 与群机器人（企业微信、钉钉、飞书）。"},
    "cmd.webhook.add": {"en": "Add an endpoint: a signed webhook or a chat robot; a webhook's secret is printed once.", "zh": "添加端点：签名的 Webhook 或群机器人；Webhook 的密钥只打印一次。"},
    "cmd.webhook.list": {"en": "List the endpoints (URLs masked) and their deliveries.", "zh": "列出端点（地址已遮盖）及其投递情况。"},
    "cmd.webhook.remove": {"en": "Remove an endpoint (its pending deliveries are cancelled).", "zh": "删除端点（其待发送投递被取消）。"},
    "cmd.webhook.enable": {"en": "Enable an endpoint a 410 answer (or a signing secret PEAKEND_SECRET could not decrypt) disabled.", "zh": "重新启用因 410 回应（或 PEAKEND_SECRET 无法解密其签名密钥）而停用的端点。"},
    "cmd.webhook.replay": {"en": "Send a delivery again (its id from `webhook log`).", "zh": "重新发送一条投递（编号见 `webhook log`）。"},
    "cmd.webhook.log": {"en": "The latest deliveries, newest first.", "zh": "最近的投递，最新在前。"},
    "opt.hook.channel": {"en": "webhook, wecom, dingtalk or feishu.", "zh": "webhook、wecom、dingtalk 或 feishu。"},
    "opt.hook.url": {"en": "Where to post (a robot's webhook address with its key or token).", "zh": "发送地址（群机器人的 webhook 地址，含 key 或 token）。"},
    "opt.hook.event": {"en": "An event kind it takes (repeat; default: all).", "zh": "订阅的事件类型（可重复；默认全部）。"},
    "opt.hook.hall": {"en": "A hall whose events it takes (repeat; '*': every hall).", "zh": "订阅其事件的营业厅（可重复；'*'：全部）。"},
    "opt.hook.lang": {"en": "Language of a robot's messages: zh or en.", "zh": "机器人消息的语言：zh 或 en。"},
    "opt.hook.secret": {"en": "DingTalk's or Feishu's signing secret (a webhook's is made for you).", "zh": "钉钉或飞书的加签密钥（Webhook 的密钥自动生成）。"},
    "opt.hook.mention": {"en": "A mobile number a robot mentions (the on-duty staff; repeat).", "zh": "机器人 @ 的手机号（值班员工；可重复）。"},
    "opt.hook.endpoint": {"en": "The endpoint id (see `webhook list`).", "zh": "端点编号（见 `webhook list`）。"},
    "opt.hook.delivery": {"en": "The delivery id (see `webhook log`).", "zh": "投递编号（见 `webhook log`）。"},
}


# -- rosters: arrival forecasts, needs from them, rosters of named staff (service/rosters.py, cli/rosters.py) ------
MESSAGES.update({
    "fc_title": {"en": "Forecast arrivals of {hall}: {first} – {last}, mean per hour [{level:.0%} prediction interval]",
                 "zh": "{hall} 到访预测：{first} 至 {last}，每小时均值 [{level:.0%} 预测区间]"},
    "fc_days": {"en": "Per day", "zh": "按日"},
    "fc_hours": {"en": "Per hour, mean forecast (the CSV holds the intervals)", "zh": "按小时的预测均值（区间见 CSV）"},
    "fc_note": {"en": "note: {note}", "zh": "说明：{note}"},
    "fc_backtest": {"en": "Rolling-origin backtest ({folds} weeks, refitted at each): MASE {mase:.2f} "
                          "(seasonal-naive {naive:.2f}; below 1 beats the same hour a week earlier)",
                    "zh": "滚动起点回测（{folds} 周，每周重新拟合）：MASE {mase:.2f}（季节性朴素预测 {naive:.2f}；"
                          "低于 1 即优于“上周同一时段”）"},
    "fc_backtest_worse": {"en": "the forecast does NOT beat the seasonal-naive forecast on this hall's data "
                                "(MASE {mase:.2f} ≥ 1): read it with care",
                          "zh": "在本厅数据上，预测未优于季节性朴素预测（MASE {mase:.2f} ≥ 1），请谨慎使用"},
    "fc_no_backtest": {"en": "no backtest: {days} days of data, at least 21 needed",
                       "zh": "未回测：数据仅 {days} 天，至少需要 21 天"},
    "fc_written": {"en": "written: {path}", "zh": "已写入：{path}"},
    "fc_bad_week": {"en": "'{value}' is not a week YYYY-Www (e.g. 2026-W50)",
                    "zh": "“{value}”不是 YYYY-Www 形式的周（例如 2026-W50）"},
})
MESSAGES.update({  # the forecast's column headings (CLI tables)
    "fc_day": {"en": "day", "zh": "日期"},
    "fc_hour": {"en": "hour", "zh": "时段"},
    "fc_mean": {"en": "mean", "zh": "均值"},
    "fc_lo": {"en": "low", "zh": "下限"},
    "fc_hi": {"en": "high", "zh": "上限"},
    "fc_holiday": {"en": "holiday", "zh": "节假日"},
    "fc_fold": {"en": "origin", "zh": "起点"},
    "fc_mae": {"en": "MAE", "zh": "平均绝对误差"},
    "fc_naive_mae": {"en": "seasonal-naive MAE", "zh": "季节性朴素误差"},
    "fc_scale": {"en": "scale", "zh": "标度"},
})
HELP.update({
    "cmd.forecast": {"en": "Forecast a hall's arrivals per day and hour for the coming weeks from its stored visits, with prediction intervals and a rolling-origin backtest (MASE).", "zh": "依据已存到访预测某厅未来数周每日每小时的到访量，附预测区间与滚动起点回测（MASE）。"},
    "opt.fc.hall": {"en": "The hall (its id).", "zh": "营业厅（编号）。"},
    "opt.fc.weeks": {"en": "Weeks ahead.", "zh": "预测的周数。"},
    "opt.fc.level": {"en": "Level of the prediction interval.", "zh": "预测区间的置信水平。"},
    "opt.fc.week": {"en": "An ISO week YYYY-Www instead of the coming weeks.", "zh": "指定 ISO 周 YYYY-Www（代替未来数周）。"},
    "opt.fc.out": {"en": "Write the forecast per day and hour as CSV here.", "zh": "将逐日逐时预测写入此 CSV 文件。"},
})
MESSAGES.update({
    "roster_no_staff": {"en": "hall '{hall}' has no roster staff yet: load a file with `peakend roster-staff {hall} FILE` or on the roster page",
                        "zh": "营业厅“{hall}”尚无排班人员：用 `peakend roster-staff {hall} 文件` 或在排班页面上传"},
    "roster_no_station": {"en": "no station of the staff file is a station of hall '{hall}' (its stations: {known})",
                          "zh": "人员文件中的岗位均不是营业厅“{hall}”的岗位（其岗位：{known}）"},
    "roster_unknown_station": {"en": "{staff}: station '{station}' is not a station of the hall (its stations: {known}); left out",
                               "zh": "{staff}：岗位“{station}”不是本厅的岗位（本厅岗位：{known}），已忽略"},
    "roster_bad_file": {"en": "the staff file was not loaded:\n{problems}", "zh": "人员文件未载入：\n{problems}"},
    "roster_loaded": {"en": "{n} people loaded for {hall}", "zh": "已为 {hall} 载入 {n} 人"},
    "roster_title": {"en": "Roster of {hall}, week {week} ({status}): {covered} of {need} server-hours covered",
                     "zh": "{hall} 第 {week} 周排班（{status}）：共需 {need} 人·小时，已覆盖 {covered}"},
    "roster_unknown": {"en": "no roster found within the time limit ({why}): give the solver more time (--time-limit)",
                       "zh": "在时限内未找到排班（{why}）：请放宽求解时限（--time-limit）"},
    "roster_needs": {"en": "Servers needed per hour ({station}; simulation plan, Erlang-A in brackets)",
                     "zh": "每小时所需人数（{station}；仿真规划，括号内为 Erlang-A）"},
    "roster_shifts": {"en": "Shifts", "zh": "班次"},
    "roster_hours": {"en": "Hours a person", "zh": "每人工时"},
    "roster_planning": {"en": "planning {what}", "zh": "规划 {what}"},
})
HELP.update({
    "cmd.roster_staff": {"en": "Load the staff a hall's roster assigns from a CSV or YAML file (staff_id, name, stations, max_day, max_week, contract, days_off, unavailable), replacing the hall's list.", "zh": "从 CSV 或 YAML 文件载入某厅排班人员（staff_id、name、stations、max_day、max_week、contract、days_off、unavailable），替换该厅原有名单。"},
    "cmd.roster": {"en": "A week's roster of named staff: servers needed per hour and station from the arrival forecast, then shifts and stations by CP-SAT (run as a job; the page shows it too).", "zh": "一周的实名排班：由到访预测得出每小时各岗位所需人数，再用 CP-SAT 安排班次与岗位（作为任务运行，页面亦可查看）。"},
    "opt.roster.file": {"en": "The staff file (CSV or YAML).", "zh": "人员文件（CSV 或 YAML）。"},
    "opt.roster.week": {"en": "The ISO week YYYY-Www, e.g. 2026-W50.", "zh": "ISO 周 YYYY-Www，例如 2026-W50。"},
    "opt.roster.upper": {"en": "Staff for the forecast's upper quantile (90%) instead of its mean.", "zh": "按预测的上分位数（90%）而非均值配置人数。"},
    "opt.roster.time": {"en": "Seconds the solver may take.", "zh": "求解器可用的秒数。"},
    "opt.roster.out": {"en": "Write the roster as an Excel workbook here.", "zh": "将排班写入此 Excel 文件。"},
})
WORDS.update({
    "roster": {"zh": "排班", "en": "Roster"},
    "roster_intro": {"zh": "按到访预测得出下周每小时各岗位所需人数，再为实名员工安排班次与岗位（满足班次长度、休息、每日与每周工时、轮休、技能与不可用时段）。高峰时段的峰值岗位优先安排评分更好的员工。",
                     "en": "Servers needed per hour and station from the arrival forecast, then shifts and stations for named staff (shift lengths, breaks, hours a day and a week, rest, days off, skills, unavailability). At the peak stations in the busiest hours, staff with better scorecards come first."},
    "roster_week": {"zh": "周（YYYY-Www）", "en": "Week (YYYY-Www)"},
    "roster_upper": {"zh": "按预测上分位数配置", "en": "staff for the upper forecast"},
    "roster_make": {"zh": "生成排班", "en": "Make the roster"},
    "roster_last": {"zh": "最近的排班", "en": "The last roster"},
    "roster_none": {"zh": "尚未生成排班：先载入人员，再选择周并点击“生成排班”。", "en": "No roster yet: load the staff, then choose a week and make one."},
    "roster_status_optimal": {"zh": "最优解", "en": "optimal"},
    "roster_status_feasible": {"zh": "可行解（时限内未证明最优）", "en": "feasible (not proven optimal in the time limit)"},
    "roster_status_unknown": {"zh": "时限内未找到排班", "en": "no roster found in the time limit"},
    "roster_covered": {"zh": "所需 {need} 人·小时中覆盖 {covered}", "en": "{covered} of {need} server-hours covered"},
    "roster_mase": {"zh": "预测回测 MASE {mase}（季节性朴素预测 {naive}）", "en": "forecast backtest MASE {mase} (seasonal-naive {naive})"},
    "roster_gaps": {"zh": "无人覆盖的时段", "en": "Hours left uncovered"},
    "roster_gap_line": {"zh": "缺 {uncovered} 人·小时", "en": "{uncovered} server-hours uncovered"},
    "roster_no_gaps": {"zh": "每个时段的需求都已覆盖。", "en": "Every hour's need is covered."},
    "roster_day": {"zh": "日期", "en": "Day"},
    "roster_person": {"zh": "员工", "en": "Staff"},
    "roster_time": {"zh": "班次", "en": "Shift"},
    "roster_break": {"zh": "休息", "en": "Break"},
    "roster_hours_col": {"zh": "工时", "en": "Hours"},
    "roster_hours": {"zh": "每人工时", "en": "Hours a person"},
    "roster_contract": {"zh": "合同工时", "en": "Contract"},
    "roster_overtime": {"zh": "加班", "en": "Overtime"},
    "roster_needs_title": {"zh": "每小时所需人数（按岗位）", "en": "Servers needed per hour, by station"},
    "roster_staff": {"zh": "排班人员", "en": "Staff"},
    "roster_staff_none": {"zh": "尚未载入人员：上传 CSV 或 YAML 文件（每人一行）。", "en": "No staff loaded yet: upload a CSV or YAML file (one person a row)."},
    "roster_stations": {"zh": "可上岗位", "en": "Stations"},
    "roster_limits": {"zh": "工时上限", "en": "Limits"},
    "roster_limits_cell": {"zh": "日 {day} · 周 {week} · 合同 {contract}", "en": "day {day} · week {week} · contract {contract}"},
    "roster_days_off": {"zh": "轮休", "en": "Days off"},
    "roster_unavailable": {"zh": "不可用", "en": "Unavailable"},
    "roster_score": {"zh": "评分（收缩）", "en": "Scorecard (shrunk)"},
    "roster_upload": {"zh": "人员文件", "en": "Staff file"},
    "roster_upload_button": {"zh": "载入", "en": "Load"},
    "roster_upload_help": {"zh": "列：staff_id、name、stations（以 ; 分隔）、max_day、max_week、contract、days_off（如 Sat;Sun 或 周六;周日）、unavailable（如 2026-12-08 09-13）。载入后替换本厅原有名单。",
                           "en": "Columns: staff_id, name, stations (separated by ;), max_day, max_week, contract, days_off (e.g. Sat;Sun), unavailable (e.g. 2026-12-08 09-13). Loading replaces the hall's list."},
    "roster_loaded_page": {"zh": "已载入 {n} 人。", "en": "{n} people loaded."},
    "roster_no_staff_page": {"zh": "本厅尚无排班人员：请先上传人员文件。", "en": "This hall has no staff to roster yet: upload a staff file first."},
    "weekday_names": {"zh": "周一,周二,周三,周四,周五,周六,周日", "en": "Mon,Tue,Wed,Thu,Fri,Sat,Sun"},
})
MESSAGES.update({
    "roster_why_nobody": {"en": "nobody in the staff file can work {station}", "zh": "人员文件中无人能上岗位 {station}"},
    "roster_why_few": {"en": "only {free} of the {able} who can work it are free then (need {need})",
                       "zh": "能上此岗位的 {able} 人中当时只有 {free} 人有空（需要 {need} 人）"},
    "roster_why_limits": {"en": "of {free} free who can work it: {elsewhere} at another station or here, {spent} have worked their week (hours or days), {kept} kept by shift lengths, hours a day, breaks or rest",
                          "zh": "当时有空且能上此岗位的 {free} 人中：{elsewhere} 人在其他岗位或本岗位，{spent} 人已达本周工时或天数上限，{kept} 人受班次长度、每日工时、休息或间隔限制"},
})
MESSAGES.update({"roster_gap": {"en": "{day} {hours} {station}: {uncovered} server-hours uncovered: {why}",
                                "zh": "{day} {hours} {station}：缺 {uncovered} 人·小时：{why}"}})

# -- rosters: the roster's predicted REI against a skill-blind roster's (simulate/roster_rei.py) -------------------
MESSAGES.update({
    "roster_rei": {"en": "Predicted mean REI (simulation, {reps} replications, 95% intervals): this roster {aware:.1f} "
                         "[{a_lo:.1f}, {a_hi:.1f}], a skill-blind roster {blind:.1f} [{b_lo:.1f}, {b_hi:.1f}]; "
                         "difference {gain:+.2f} [{g_lo:+.2f}, {g_hi:+.2f}] (predicted, not caused)",
                   "zh": "预测平均 REI（仿真 {reps} 次重复，95% 区间）：本排班 {aware:.1f} [{a_lo:.1f}, {a_hi:.1f}]，"
                         "不看技能的排班 {blind:.1f} [{b_lo:.1f}, {b_hi:.1f}]；差值 {gain:+.2f} "
                         "[{g_lo:+.2f}, {g_hi:+.2f}]（为预测，非因果）"},
    "roster_rei_unsolved": {"en": "no REI comparison: no roster was found",
                            "zh": "未比较 REI：未找到排班"},
    "roster_rei_no_peak": {"en": "no REI comparison: no station serves a peak moment of the blueprint",
                           "zh": "未比较 REI：没有岗位服务蓝图中的峰值时刻"},
    "roster_rei_no_cards": {"en": "no REI comparison: fewer than two staff have differing scorecards, so a "
                                  "peak-aware roster cannot differ from a skill-blind one",
                            "zh": "未比较 REI：有不同评分卡的员工不足两人，关注峰值的排班与不看技能的排班无从区别"},
})

# -- rosters: opening hours per weekday from the forecast and its needs (simulate/hours.py, cli/rosters.py) -------
MESSAGES.update({
    "hours_title": {"en": "Opening hours of {hall} from the forecast of week {week}: the hours keeping {keep:.0%} of "
                          "the arrivals at the fewest server-hours (within today's hours; never seen open outside them)",
                    "zh": "{hall} 按第 {week} 周预测的营业时间：保留 {keep:.0%} 到访、所需人·小时最少的时段"
                          "（仅在现有营业时间之内；之外从未营业、无数据）"},
    "hours_line": {"en": "{day}: today {today}, proposed {best} (keeps {kept:.0%}); turned away {away:.0f}, waiting "
                         "past target up to {waiting:.0f}; {hours:.0f} server-hours instead of {hours_today:.0f}",
                   "zh": "{day}：现为 {today}，建议 {best}（保留 {kept:.0%}）；将被拒之门外 {away:.0f} 人，"
                         "等待超过目标至多 {waiting:.0f} 人；需 {hours:.0f} 人·小时（现为 {hours_today:.0f}）"},
    "hours_bad_keep": {"en": "the share of arrivals to keep must be in (0, 1], not {value}",
                       "zh": "要保留的到访比例须在 (0, 1] 之内，而不是 {value}"},
})
HELP.update({
    "cmd.hours": {"en": "Opening hours per weekday: the hours keeping a share of the forecast arrivals at the fewest "
                        "server-hours, beside today's, with the customers turned away or waiting past target.",
                  "zh": "按星期给出营业时间：在保留一定比例预测到访的前提下所需人·小时最少的时段，与现有时间并列，"
                        "并给出将被拒之门外或等待超过目标的顾客数。"},
    "opt.hours.keep": {"en": "Share of the forecast arrivals the hours must keep.", "zh": "营业时间须保留的预测到访比例。"},
    "opt.hours.wait": {"en": "Target wait in minutes.", "zh": "目标等待时间（分钟）。"},
    "opt.hours.share": {"en": "Share of customers to serve within the target wait.", "zh": "须在目标等待时间内接待的顾客比例。"},
})

# -- the frontline inbox: actions on an alert and its live stream (issue 35 item 3; service/inbox.py, web/inbox.py) --
WORDS.update({
    "inbox_handled": {"zh": "已处理", "en": "Handled"},
    "inbox_hand": {"zh": "转交", "en": "Hand to"},
    "inbox_colleague": {"zh": "转交给同事", "en": "Colleague to hand to"},
    "inbox_no_colleague": {"zh": "本厅没有可转交的同事", "en": "no colleague of this hall to hand to"},
    "inbox_claimed_ago": {"zh": "{who} {ago}前接手", "en": "claimed {ago} ago by {who}"},
    "inbox_handed_ago": {"zh": "{who} {ago}前转交给 {to}", "en": "handed to {to} {ago} ago by {who}"},
    "inbox_handled_ago": {"zh": "{who} {ago}前已处理", "en": "handled {ago} ago by {who}"},
    "inbox_ticket": {"zh": "票号", "en": "ticket"},
    "inbox_owner": {"zh": "负责人", "en": "owner"},
    "inbox_live": {"zh": "实时：新的提醒和工单会自动出现在这里，无需刷新。",
                   "en": "Live: new alerts and cases appear here by themselves, no reload needed."},
    "inbox_reload": {"zh": "刷新页面可看到新的提醒。", "en": "Reload the page to see new alerts."},
    "act_inbox_claim": {"zh": "认领补救提醒", "en": "alert claimed"},
    "act_inbox_hand": {"zh": "转交补救提醒", "en": "alert handed over"},
    "act_inbox_handled": {"zh": "补救提醒已处理", "en": "alert handled"},
})
MESSAGES.update({
    "inbox_not_colleague": {"en": "'{value}' is not on the staff of hall {hall}: an alert is handed only to a "
                                  "colleague of its own hall",
                            "zh": "“{value}”不是营业厅 {hall} 的员工：提醒只能转交给本厅的同事"},
})

# -- ratings of stored touches (ingest/attach.py) --
MESSAGES.update({
    "ingest_attached": {
        "en": "{source}: {value} ratings attached to stored touches (a rating without a time for a visit already "
              "stored, given to its one stored touch of that moment)",
        "zh": "{source}：{value} 条评分已并入已存触点（已存来访的无时间评分，并入该来访在该时刻唯一的已存触点）",
    },
    "ingest_unattached_none": {
        "en": "{source}: warning: {value} ratings without a time were stored as new touches of visits already "
              "stored, because those visits have no stored touch of that moment to attach them to",
        "zh": "{source}：警告：{value} 条无时间的评分作为已存来访的新触点入库，因为这些来访在该时刻没有已存触点可并入",
    },
    "ingest_unattached_several": {
        "en": "{source}: warning: {value} ratings without a time were stored as new touches of visits already "
              "stored, because those visits have several stored touches of that moment (which one is rated "
              "cannot be told)",
        "zh": "{source}：警告：{value} 条无时间的评分作为已存来访的新触点入库，因为这些来访在该时刻有多个已存触点"
              "（无法确定评的是哪一个）",
    },
    "ingest_unattached_sent": {
        "en": "{source}: warning: {value} ratings without a time were stored as new touches of visits already "
              "stored, because several ratings of the same moment were sent for one visit (which one belongs to "
              "its stored touch cannot be told)",
        "zh": "{source}：警告：{value} 条无时间的评分作为已存来访的新触点入库，因为同一来访的同一时刻发来了多条评分"
              "（无法确定哪一条属于已存触点）",
    },
})

# -- journey order of touches sent without a time or a seq (ingest/order.py) --
MESSAGES.update({
    "ingest_row_order": {
        "en": "{source}: the touches of {value} visit(s) have no time (start_at) and no seq: their journey order is "
              "the order of the file's rows (seq 1, 2, … per visit; touches of a visit sent later come after the "
              "stored ones)",
        "zh": "{source}：{value} 个来访的触点既无时间（start_at）也无序号（seq）：其旅程顺序按文件中行的先后确定"
              "（每个来访的 seq 依次记为 1、2、…；之后再发送的同一来访的触点排在已存触点之后）",
    },
})

# -- the moment page's figures as a job of the hall (service/figures.py moment_figures) --
WORDS.update({
    "moment_none": {"zh": "本厅在最近一次评分中没有这个时刻的触点",
                    "en": "The latest scoring run has no touch of this moment at this hall"},
})

# Quarantine on the web's pages: the import form's way, never a command-line option (`.web`: how a page words
# message `key`; the command line keeps the message itself); an upload named by its file and uploader.
MESSAGES.update({
    "no_scale.web": {
        "en": "{source} row {row}: field '{field}' has a rating '{value}' but no scale; choose the scale under "
              "“Rating scale” in the import form, or give each row one of {expected}",
        "zh": "{source} 第 {row} 行：字段“{field}”有评分“{value}”但未给出量表；请在导入表单的“评分量表”中选择，"
              "或在每行给出 {expected} 之一",
    },
    "fraction.web": {
        "en": "{source} row {row}: field '{field}' is {value}, between the points of scale {expected}; to accept "
              "such ratings, tick “Accept ratings between a scale's points” in the import form",
        "zh": "{source} 第 {row} 行：字段“{field}”为 {value}，不是量表 {expected} 的刻度；如需接受，"
              "请在导入表单中勾选“接受量表点之间的评分”",
    },
    "bad_utf8.web": {
        "en": "{source} row {row}: the line is not valid in the file's encoding (read as UTF-8; byte {value}); save "
              "the file as UTF-8 (or GBK) and upload it again",
        "zh": "{source} 第 {row} 行：该行不符合文件的编码（按 UTF-8 读取；字节 {value}）；请把文件另存为 UTF-8（或 GBK）"
              "后重新上传",
    },
    "unknown_kind.web": {
        "en": "{source}: cannot tell what the rows are (columns: {value}); choose the kind under “Kind of rows” "
              "in the import form and which column holds what",
        "zh": "{source}：无法判断数据类型（列：{value}）；请在导入表单的“记录类型”中选择，并为各列选择对应的字段",
    },
    "missing_hall.web": {
        "en": "{source}: no column names the hall (columns found: {value}), so rows that create visits are "
              "quarantined; if the whole file is one hall, type it under “One hall for the whole file” in the import "
              "form, else choose the column that names the hall",
        "zh": "{source}：没有列给出营业厅（已有列：{value}），需新建来访的行已隔离；若整个文件属于同一个厅，请在导入表单的"
              "“整个文件属于一个营业厅”中填写，否则为给出营业厅的列选择“营业厅”",
    },
    "upload_source": {"en": "{name} (uploaded by {who})", "zh": "{name}（{who} 上传）"},
    "quarantine_unknown": {"en": "no quarantined row you may handle: {value}", "zh": "没有您可处理的隔离行：{value}"},
})
WORDS.update({
    "import_field_ids": {"zh": "文件表头或粘贴的对应中使用的字段名", "en": "Field names to type in a file header or a pasted mapping"},
    "import_moment_ids": {"zh": "关键时刻的编号（长表的“关键时刻”列也可直接写时刻名称）",
                          "en": "Key moments' ids (a long file's moment column may also give the moment's name)"},
    "quality_pick": {"zh": "选择", "en": "Pick"},
    "quality_dismiss": {"zh": "将所选行标为已处理", "en": "Dismiss the picked rows (mark handled)"},
    "quality_dismiss_note": {"zh": "已处理的行仍然保留（记录处理人和时间），只是不再显示。",
                             "en": "Dismissed rows are kept (with who dismissed them and when), only hidden."},
    "quality_dismissed_n": {"zh": "{n} 行已标为已处理", "en": "{n} rows dismissed"},
    "quality_show_dismissed": {"zh": "显示已处理的行", "en": "Show the dismissed rows"},
    "quality_hide_dismissed": {"zh": "隐藏已处理的行", "en": "Hide the dismissed rows"},
    "quality_dismissed_by": {"zh": "{who} 于 {when} 标为已处理", "en": "dismissed by {who} on {when}"},
    "quality_done": {"zh": "已将 {n} 行标为已处理。", "en": "{n} rows dismissed."},
    "quality_scope": {"zh": "只列出您所管营业厅的隔离行；没有营业厅的行由管理员处理。",
                      "en": "Only the quarantined rows of your halls are listed; rows naming no hall are an admin's."},
    "quality_empty": {"zh": "没有隔离的行。", "en": "No quarantined rows."},
    "act_quarantine_dismissed": {"zh": "隔离行标为已处理", "en": "quarantined rows dismissed"},
    "quality_none_picked": {"zh": "请先选择要标为已处理的行。", "en": "Pick the rows to dismiss first."},
})


# Words of the schema's problems: a value's type (pydantic's error kind without `_type`/`_parsing`) and a bound.
SCHEMA_WORDS: dict[str, dict[Lang, str]] = {
    "int": {"en": "int", "zh": "整数"}, "float": {"en": "float", "zh": "数字"}, "bool": {"en": "bool", "zh": "布尔值（true 或 false）"},
    "string": {"en": "string", "zh": "文本"}, "list": {"en": "list", "zh": "列表（- 项）"},
    "dict": {"en": "dict", "zh": "映射（键: 值）"}, "model": {"en": "model", "zh": "映射（键: 值）"},
    "date": {"en": "date", "zh": "日期"}, "datetime": {"en": "datetime", "zh": "日期时间"},
    "greater_than_equal": {"en": "greater than or equal to", "zh": "大于或等于"},
    "less_than_equal": {"en": "less than or equal to", "zh": "小于或等于"},
    "greater_than": {"en": "greater than", "zh": "大于"}, "less_than": {"en": "less than", "zh": "小于"},
    "or": {"en": " or ", "zh": " 或 "},
}


# Click's usage errors as Chinese reads them (Click words them in English only): (pattern, its Chinese), in turn.
CLICK_ZH: list[tuple[str, str]] = [
    (r"Invalid value for (.+?): ", r"\1 的值无效："),
    (r"Invalid value: ", "值无效："),
    (r"(?i:path|file|directory) ('.*?') does not exist\.", r"路径 \1 不存在。"),
    (r"(?i:path|file|directory) ('.*?') is a directory\.", r"\1 是文件夹，此处应为文件。"),
    (r"(?i:path|file|directory) ('.*?') is a file\.", r"\1 是文件，此处应为文件夹。"),
    (r"(?i:path|file|directory) ('.*?') is not readable\.", r"\1 不可读。"),
    (r"(?i:path|file|directory) ('.*?') is not writable\.", r"\1 不可写。"),
    (r"Missing argument (.+?)\.", r"缺少参数 \1。"),
    (r"Missing option (.+?)\.", r"缺少选项 \1。"),
    (r"Missing parameter:? ?(.*?)\.?$", r"缺少参数 \1。"),
    (r"Missing command\.", "缺少子命令。"),
    (r"No such option: (\S+)", r"没有选项 \1"),
    (r" ?\(Possible options: (.+?)\)", r"（可能的选项：\1）"),
    (r"No such command (.+?)\.", r"没有子命令 \1。"),
    (r" ?Did you mean (.+?)\?", r"是否要用 \1？"),
    (r"Got unexpected extra arguments?(?:\(s\))? \((.*)\)", r"多余的参数（\1）"),
    (r"Option (.+?) requires an argument\.", r"选项 \1 需要一个值。"),
    (r"Option (.+?) requires (\d+) arguments\.", r"选项 \1 需要 \2 个值。"),
    (r"Option (.+?) does not take a value\.", r"选项 \1 不接受值。"),
    (r"(?:Value )?('.*?') is not one of (.+?)\.", r"\1 不是 \2 之一。"),
    (r"Input should be a valid integer.*", "应为整数"),
    (r"Input should be a valid number.*", "应为数字"),
    (r"Input should be a valid boolean.*", "应为布尔值（true 或 false）"),
    (r"Input should be a valid datetime.*", "应为日期时间"),
    (r"Input should be a valid date.*", "应为日期（YYYY-MM-DD）"),
    (r"Input should be greater than or equal to (\S+)", r"应大于或等于 \1"),
    (r"Input should be less than or equal to (\S+)", r"应小于或等于 \1"),
    (r"Input should be greater than (\S+)", r"应大于 \1"),
    (r"Input should be less than (\S+)", r"应小于 \1"),
    (r"Input should be (.+)", r"应为 \1"),
]


def click_said(text: str, language: Lang | None = None) -> str:
    """A usage error of Click's in `language` (default: the session's): in Chinese, each part it knows reworded."""
    if (language or lang()) != "zh":
        return text
    for pattern, zh in CLICK_ZH:
        text = re.sub(pattern, zh, text)
    return text

