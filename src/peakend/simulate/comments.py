"""What simulated customers write after a visit: a sentence about the moment they remember most, in Chinese
(some in English), good or bad as they felt it there. Only the demo's surveys use it."""

from __future__ import annotations

import numpy as np

# moment → (bad, good) sentences, zh then en
PHRASES: dict[str, tuple[list[str], list[str], list[str], list[str]]] = {
    "waiting": (["排队等了快一个小时，太慢了", "取号以后等了很久都没叫到我", "等候区座位太少，站着等了半天"],
                ["今天基本没怎么排队，很快", "取号后几分钟就叫到了，不错"],
                ["The queue was far too long, I waited almost an hour"], ["Hardly any wait today, great"]),
    "counter_handling": (["营业员态度很差，问两句就不耐烦", "柜台工作人员一直在推销，很烦", "窗口只开了一个，办理很慢"],
                         ["营业员很耐心，讲得很清楚", "柜台的小姑娘态度特别好", "工作人员办理又快又专业"],
                         ["The clerk at the counter was rude and impatient"],
                         ["The staff at the counter were patient and friendly"]),
    "counter_result": (["业务没办成，白跑一趟", "问题还是没解决，让我明天再来", "办了半天结果还是错的"],
                       ["一次就办好了，很满意", "问题当场就解决了，点赞", "业务很顺利地办成了"],
                       ["My problem was not solved, a wasted trip"], ["Everything was sorted out in one visit"]),
    "leaving": (["走的时候没人理，感觉被冷落", "办完就被打发走了，连句再见都没有"],
                ["临走时经理还送我出门，很贴心", "离开的时候工作人员微笑道别，感觉很好"],
                ["Nobody even said goodbye when I left"], ["They saw me off with a smile, very kind"]),
    "greeting": (["进门没人打招呼，不知道该去哪", "门口的工作人员爱理不理"],
                 ["一进门就有人热情问好", "迎宾很热情，马上帮我分流"],
                 ["No one greeted me when I came in"], ["I was greeted warmly at the door"]),
    "self_service": (["自助机老是死机，最后还得排队", "自助终端太难用了，看不懂"],
                     ["自助机很方便，两分钟就办完", "用自助终端缴费很快"],
                     ["The self-service kiosk kept crashing"], ["The kiosk was quick and easy"]),
    "handset_purchase": (["买手机的价格跟网上说的不一样", "购机合约条款没讲清楚，被坑了"],
                         ["买手机优惠力度很大，很划算", "购机很顺利，还送了配件"],
                         ["The phone price was higher than advertised"], ["Got a good discount on my new phone"]),
    "data_experience": (["体验区的网速很慢，5G根本连不上", "宽带演示机是坏的"],
                        ["体验区的5G网速很快，很惊喜", "在体验区试了新宽带，很不错"],
                        ["The 5G demo in the experience zone did not work"], ["The 5G demo was impressive"]),
    "guide_consult": (["咨询台的人也说不清楚，指错了地方", "引导员自己都不懂"],
                      ["引导台的工作人员很专业，一下就指对了", "咨询台解答得很清楚"],
                      ["The guide desk sent me to the wrong place"], ["The guide desk was very helpful"]),
    "answering": (["解释了半天还是听不懂", "问的疑问没人能解答"],
                  ["讲解得很详细，终于弄明白了", "解答得很耐心"],
                  ["Nobody could answer my question"], ["They explained everything clearly"]),
}
NEUTRAL = (["还行吧", "一般般", "没什么特别的"], ["It was okay"])
ENGLISH = 0.15  # share of comments written in English


def comment(moment: str | None, felt: float, rng: np.random.Generator) -> str:
    """A comment about `moment` as felt (e in −1…1): bad below −0.15, good above 0.15, else neutral."""
    english = rng.random() < ENGLISH
    if moment not in PHRASES or abs(felt) < 0.15:
        pool = NEUTRAL[1] if english else NEUTRAL[0]
    else:
        zh_bad, zh_good, en_bad, en_good = PHRASES[moment]
        pool = (en_bad if felt < 0 else en_good) if english else (zh_bad if felt < 0 else zh_good)
    return str(pool[int(rng.integers(0, len(pool)))])
