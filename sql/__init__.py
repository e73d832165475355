"""voc.sql: plain SQL files for views, applied in layer order by ``voc.pipeline.db.views``."""
