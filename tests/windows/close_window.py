#!/usr/bin/python3
"""Closes an X window as its title bar's X button does: a WM_DELETE_WINDOW
client message (the WM_PROTOCOLS message a window manager sends).
Usage: close_window.py WINDOW_ID   (hex, as xwininfo prints it)"""
import sys

from Xlib import X, display, protocol

screen = display.Display()
window = screen.create_resource_object("window", int(sys.argv[1], 0))
message = protocol.event.ClientMessage(
    window=window,
    client_type=screen.intern_atom("WM_PROTOCOLS"),
    data=(32, [screen.intern_atom("WM_DELETE_WINDOW"), X.CurrentTime, 0, 0, 0]),
)
window.send_event(message, event_mask=X.NoEventMask)
screen.flush()
