"""Loyalty (DOMAIN.md §6): the index and NPS from the survey's five answers, return visits and lapses from the
visits themselves, how the remembered visit drives both, and which moments matter most."""
