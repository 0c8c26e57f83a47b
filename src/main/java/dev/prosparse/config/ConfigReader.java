package dev.prosparse.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosparse.ProsparseException;
import dev.prosparse.util.Messages;

/** Typed access to keys with errors that name the key. */
final class ConfigReader {
    final ObjectNode raw;
    final String source;

    ConfigReader(ObjectNode raw, String source) {
        this.raw = raw;
        this.source = source;
    }

    int positiveInt(String key) {
        JsonNode n = raw.get(key);
        if (n == null || n.isNull()) {
            throw ProsparseException.checkpoint(source + ": key " + key + " is missing");
        }
        if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() <= 0) {
            throw ProsparseException.checkpoint(source + ": key " + key + " must be a positive integer, got " + Messages.printable(n.toString(), 60));
        }
        return n.asInt();
    }

    int nonNegativeInt(String key) {
        JsonNode n = raw.get(key);
        if (n == null || n.isNull() || !n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() < 0) {
            throw ProsparseException.checkpoint(source + ": key " + key + " must be an integer of 0 or more, got "
                    + Messages.printable(String.valueOf(n), 60));
        }
        return n.asInt();
    }

    double number(String key, double dflt) {
        JsonNode n = raw.get(key);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isNumber()) {
            throw ProsparseException.checkpoint(source + ": key " + key + " must be a number, got " + Messages.printable(n.toString(), 60));
        }
        return n.asDouble();
    }

    /** A number above 0 (and finite: non-finite numbers are refused when the file is parsed). */
    double positiveNumber(String key, double dflt) {
        double v = number(key, dflt);
        if (!(v > 0)) {
            throw ProsparseException.checkpoint(source + ": key " + key + " must be a number above 0, got "
                    + Messages.printable(raw.get(key).toString(), 60));
        }
        return v;
    }

    boolean bool(String key, boolean dflt) {
        JsonNode n = raw.get(key);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isBoolean()) {
            throw ProsparseException.checkpoint(source + ": key " + key + " must be true or false, got " + Messages.printable(n.toString(), 60));
        }
        return n.asBoolean();
    }

    String string(String key, String dflt) {
        JsonNode n = raw.get(key);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isTextual()) {
            throw ProsparseException.checkpoint(source + ": key " + key + " must be a string, got " + Messages.printable(n.toString(), 60));
        }
        return n.asText();
    }
}
