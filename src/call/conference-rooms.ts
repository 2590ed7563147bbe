// Conference rooms of live calls: who is in each room, whether it has started (a moderator joined, or nobody needs
// one), and who ends it. Audio mixing is the media engine's; this is the bookkeeping the `Call` layer needs.

import { EventEmitter } from 'node:events';

export interface RoomMember {
  callId: string;
  moderator: boolean;
  endOnExit: boolean;
}

class Room extends EventEmitter {
  readonly members = new Map<string, RoomMember>();
  started = false;
  ended = false;
  /** The member whose leg records the room (the first to join asking for a recording). */
  recordingBy?: string;
}

export class ConferenceRooms {
  private readonly rooms = new Map<string, Room>();

  /** Join; the room starts when a member with `startOnEnter` joins (`startedNow`: this join started it). */
  join(
    name: string,
    member: RoomMember,
    startOnEnter: boolean,
    max?: number,
  ): { room: Room; full: boolean; startedNow: boolean } {
    const room = this.rooms.get(name) ?? new Room();
    if (max && room.members.size >= max) return { room, full: true, startedNow: false };
    this.rooms.set(name, room);
    room.members.set(member.callId, member);
    room.emit('join', member);
    if (startOnEnter && !room.started) {
      room.started = true;
      room.emit('start');
      return { room, full: false, startedNow: true };
    }
    return { room, full: false, startedNow: false };
  }

  /** Leave; a member with `endOnExit` (or the last one) ends the room for everyone. True when this ended it. */
  leave(name: string, callId: string): boolean {
    const room = this.rooms.get(name);
    const member = room?.members.get(callId);
    if (!room || !member) return false;
    room.members.delete(callId);
    room.emit('leave', member);
    if (member.endOnExit || room.members.size === 0) {
      room.ended = true;
      room.emit('end');
      this.rooms.delete(name);
      return true;
    }
    return false;
  }

  size(name: string): number {
    return this.rooms.get(name)?.members.size ?? 0;
  }
}
