"""Retrieves, answers and evaluates, over what index/ stored. Imports index/, never ui/ or bench/.

Its modules by stage, in the order a question meets them (qa.pipeline runs them top to bottom):

- understanding the question: timeframe (its time, read as of a day), analysis (the kind of
  answer it asks for, its key terms), session (a follow-up made standalone), sentences (key
  terms and phrases, shared with the stages below)
- retrieval: retrieve (dense and BM25 rankings fused, filters, the asked time searched within)
- answering: candidates (the sentences that might answer, and their features), reader and
  answer_model (the trained models that score them), extractive (the offline answerer),
  versions (reports that disagree or change), verdict (a check's yes or no, from the reports
  it names, and its trained verdict model), llm (the optional OpenAI-compatible backend),
  verify (markers, spans and support checked before anyone sees an answer), results (the one
  Answer object every caller gets)
- evaluation: questions (canned questions and scoring), evaluate (`newsqa eval`), benchmark
  (`newsqa bench multihop`)

They are modules side by side rather than sub-packages: the stages share results and
sentences, retrieval is one module, and moving the rest would change 170-odd references
(imports in tests and bench, paths in docs, the trained models' folders) for a grouping that
this list already gives.
"""
