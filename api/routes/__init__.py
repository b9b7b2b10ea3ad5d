"""One ``APIRouter`` per file: health, model card, classification."""
